// The one libgfortran function that the LAPACK routines of a static OpenBLAS reach (sormtr,
// sormqr, sgesvd, ... concatenate option strings before calling ilaenv): Fortran string
// concatenation. libgfortran.a cannot be linked into a shared object (its thread-local storage
// uses the initial-exec model), and linking libgfortran.so would make the prebuilt binary depend
// on it; so the static build provides the function itself. Built only with INDEE_STATIC_BLAS.
// Semantics (gfortran's runtime ABI): dest (destlen characters) receives s1 then s2, cut to
// destlen, padded with blanks; lengths are size_t, strings are not NUL-terminated.
#include <cstddef>
#include <cstring>

extern "C" void _gfortran_concat_string(std::size_t destlen, char* dest, std::size_t len1, const char* s1,
                                        std::size_t len2, const char* s2) {
  const std::size_t first = len1 < destlen ? len1 : destlen;
  std::memcpy(dest, s1, first);
  const std::size_t second = len2 < destlen - first ? len2 : destlen - first;
  std::memcpy(dest + first, s2, second);
  std::memset(dest + first + second, ' ', destlen - first - second);
}
