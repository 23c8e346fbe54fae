// Not API: the C interface of OpenBLAS (CBLAS + threading controls) for the LinearAlgebra module.
#ifndef SIMSTUDY_COPENBLAS_SHIM_H
#define SIMSTUDY_COPENBLAS_SHIM_H
#include <cblas.h>

// OpenBLAS-only entry points (declared in OpenBLAS's cblas.h; repeated here so the intent is plain).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
#endif
