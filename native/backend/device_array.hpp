// An array in a backend's memory (backend.hpp), owned like a std::vector: resize keeps no
// contents (callers overwrite), copies are deep, and the memory goes back to the backend on
// destruction. Host data crosses only through upload/download (or host_view on host memory).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "backend.hpp"

namespace indee {

template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(Backend& backend, std::size_t size = 0) : backend_(&backend) { resize(size); }
  DeviceArray(Backend& backend, const std::vector<T>& host) : DeviceArray(backend, host.size()) { upload(host); }
  DeviceArray(const DeviceArray& other) : DeviceArray(*other.backend_, other.size_) {
    backend_->copy(other.data_, bytes(), data_);
  }
  DeviceArray(DeviceArray&& other) noexcept
      : backend_(other.backend_), data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  DeviceArray& operator=(DeviceArray other) noexcept {
    std::swap(backend_, other.backend_);
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }
  ~DeviceArray() { backend_->release(data_); }

  std::size_t size() const { return size_; }
  std::size_t bytes() const { return size_ * sizeof(T); }
  T* data() { return data_; }
  const T* data() const { return data_; }
  Backend& backend() const { return *backend_; }

  // Resizes without keeping the contents; the memory is kept when it is large enough.
  void resize(std::size_t size) {
    if (size > capacity_) {
      T* fresh = static_cast<T*>(backend_->allocate(size * sizeof(T)));
      backend_->release(data_);
      data_ = fresh;
      capacity_ = size;
    }
    size_ = size;
  }
  // Gives the memory back when it exceeds `limit_bytes` (a one-off large batch; see workspace.hpp).
  void release_if_larger(std::size_t limit_bytes) {
    if (capacity_ * sizeof(T) <= limit_bytes) return;
    backend_->release(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
  }

  // Becomes a copy of `other` (same backend), keeping this array's memory when large enough.
  void assign(const DeviceArray& other) {
    resize(other.size_);
    backend_->copy(other.data_, bytes(), data_);
  }
  void zero() { backend_->zero(data_, bytes()); }
  // Becomes a copy of `host` (resized to it).
  void upload(const std::vector<T>& host) { upload(host.data(), host.size()); }
  void upload(const T* host, std::size_t count) {
    resize(count);
    backend_->upload(host, bytes(), data_);
  }
  std::vector<T> download() const {
    std::vector<T> host(size_);
    backend_->download(data_, bytes(), host.data());
    return host;
  }

 private:
  Backend* backend_;
  T* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
};

// Read access on the host to `count` elements of backend memory: the memory itself on a backend
// whose memory is the host's (no copy), else a downloaded copy.
template <class T>
class HostView {
 public:
  HostView(Backend& backend, const T* data, std::size_t count) : data_(data) {
    if (backend.host_memory()) return;
    copy_.resize(count);
    backend.download(data, count * sizeof(T), copy_.data());
    data_ = copy_.data();
  }
  explicit HostView(const DeviceArray<T>& array) : HostView(array.backend(), array.data(), array.size()) {}
  const T* data() const { return data_; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  const T* data_;
  std::vector<T> copy_;
};

}  // namespace indee
