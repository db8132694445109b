// GEOS C API, thread-safe reentrant (_r) functions only: the non-_r API shares
// one global context and must never be used from landtrack.
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

// glibc's malloc_trim: GEOS geometries made and freed on worker threads leave free memory in
// those threads' malloc arenas, which the parallel tile work hands back when it ends.
#if defined(__linux__)
#include <malloc.h>
#endif
