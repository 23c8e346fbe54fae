// Not API: the GSL surface SimStudy uses, for the RandomStreams and NumericalMethods modules.
//
// OpenBLAS's cblas.h and GSL's gsl_cblas.h declare the same symbols with different types: include
// OpenBLAS's header and mark GSL's as already included. The module links `gsl` only (never
// `gslcblas`) and COpenBLAS links OpenBLAS directly, so OpenBLAS precedes the `libgslcblas` that
// Debian's libgsl loads as its own dependency, and GSL's BLAS calls resolve to OpenBLAS.
#ifndef SIMSTUDY_CGSL_SHIM_H
#define SIMSTUDY_CGSL_SHIM_H
#include <stdint.h>
#include <stddef.h>
#include <cblas.h>
#define __GSL_CBLAS_H__
#include <gsl/gsl_version.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_log.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_blas.h>

// Swift 6 rejects imported mutable C globals; these accessors read them instead.
static inline const gsl_rng_type *simstudy_rng_mt19937(void) { return gsl_rng_mt19937; }
static inline const gsl_multimin_fminimizer_type *simstudy_nmsimplex2(void) {
  return gsl_multimin_fminimizer_nmsimplex2;
}
static inline const gsl_multimin_fdfminimizer_type *simstudy_bfgs2(void) {
  return gsl_multimin_fdfminimizer_vector_bfgs2;
}
static inline const gsl_min_fminimizer_type *simstudy_brent_min(void) { return gsl_min_fminimizer_brent; }
static inline const gsl_root_fsolver_type *simstudy_brent_root(void) { return gsl_root_fsolver_brent; }
static inline const gsl_integration_fixed_type *simstudy_fixed_hermite(void) {
  return gsl_integration_fixed_hermite;
}
static inline const char *simstudy_gsl_version(void) { return gsl_version; }

/// GSL's private mt19937 state layout (randist/mt.c, GSL 2.x): 624 words kept in `unsigned long`
/// and the position of the next word.
typedef struct {
  unsigned long mt[624];
  int mti;
} simstudy_mt19937_state;

/// Seeds a GSL mt19937 generator from a whole key with Matsumoto & Nishimura's reference
/// `init_by_array` (mt19937ar.c, 2002), writing the 624-word state directly. GSL's own
/// `gsl_rng_set` keeps only 32 bits of its seed; this keeps every word of the key.
/// Returns 0 on success, -1 if `r` is not an mt19937 generator of the expected layout.
static inline int simstudy_mt19937_init_by_array(gsl_rng *r, const uint32_t *key, int key_length) {
  if (r == NULL || r->type != gsl_rng_mt19937 || gsl_rng_size(r) != sizeof(simstudy_mt19937_state) ||
      key_length <= 0)
    return -1;
  simstudy_mt19937_state *s = (simstudy_mt19937_state *)gsl_rng_state(r);
  unsigned long *mt = s->mt;
  const int n = 624;
  mt[0] = 19650218UL;
  for (int j = 1; j < n; j++) {
    mt[j] = (1812433253UL * (mt[j - 1] ^ (mt[j - 1] >> 30)) + (unsigned long)j) & 0xffffffffUL;
  }
  int i = 1, j = 0;
  for (int k = (n > key_length ? n : key_length); k; k--) {
    mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525UL)) + key[j] + (unsigned long)j) &
            0xffffffffUL;
    i++;
    j++;
    if (i >= n) {
      mt[0] = mt[n - 1];
      i = 1;
    }
    if (j >= key_length) j = 0;
  }
  for (int k = n - 1; k; k--) {
    mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941UL)) - (unsigned long)i) & 0xffffffffUL;
    i++;
    if (i >= n) {
      mt[0] = mt[n - 1];
      i = 1;
    }
  }
  mt[0] = 0x80000000UL;  // non-zero initial state, as in the reference code
  s->mti = n;            // the next draw regenerates the whole block
  return 0;
}
#endif
