/**
 * The threads the native core's BLAS uses. The pool is process-wide (OpenBLAS keeps one per
 * process): it serves every model, and setting it affects them all. It starts at one thread per
 * core, or at INDEEPENDENCE_THREADS (or OpenBLAS's own OPENBLAS_NUM_THREADS) when set.
 */
import { binding } from './binding';
import * as check from './validate';

/** Sets the number of BLAS threads, an integer in [1, 1024]. */
export function setThreads(count: number): void {
  binding().setThreads(check.integer(count, 'count', 1, 1024));
}

/** The number of BLAS threads in use. */
export function threads(): number {
  return binding().threads();
}
