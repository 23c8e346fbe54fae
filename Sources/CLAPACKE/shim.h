// Not API: LAPACKE's value-argument C interface for the LinearAlgebra module.
#ifndef SIMSTUDY_CLAPACKE_SHIM_H
#define SIMSTUDY_CLAPACKE_SHIM_H
#include <lapacke.h>

/// LAPACK's version triple (ilaver), for the run manifest.
static inline void simstudy_lapack_version(int *major, int *minor, int *patch) {
  LAPACK_ilaver(major, minor, patch);
}
#endif
