// GEOS C API, thread-safe reentrant (_r) functions only: the non-_r API shares
// one global context and must never be used from landtrack.
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
