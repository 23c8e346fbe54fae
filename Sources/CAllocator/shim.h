// Not API: glibc's allocator settings for the command line (StudyCommandLine.keepFreedMemory).
#ifndef SIMSTUDY_CALLOCATOR_SHIM_H
#define SIMSTUDY_CALLOCATOR_SHIM_H
#if defined(__GLIBC__) || __has_include(<malloc.h>)
#include <malloc.h>
#endif

/// Keeps freed memory in the process: no trimming of the heap's top below `trim` bytes free, and
/// no mmap for blocks below `mmap` bytes. Returns 1 when both settings were accepted, 0 otherwise
/// (and always 0 where the C library is not glibc).
static inline int simstudy_keep_freed_memory(int trim, int mmap) {
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
  return mallopt(M_MMAP_THRESHOLD, mmap) && mallopt(M_TRIM_THRESHOLD, trim);
#else
  (void)trim;
  (void)mmap;
  return 0;
#endif
}
#endif
