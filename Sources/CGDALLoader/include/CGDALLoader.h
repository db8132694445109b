// GDAL is loaded on first use (dlopen), not when landtrack starts: libgdal.so pulls in about a
// hundred libraries whose loading took ~65 ms of every command's start, GeoJSON commands included.
#ifndef LANDTRACK_CGDAL_LOADER_H
#define LANDTRACK_CGDAL_LOADER_H
#include <stddef.h>

/// Opens `path` (dlopen, RTLD_NOW | RTLD_LOCAL) and resolves every GDAL function landtrack calls.
/// Returns 1 when the library has them all (the first such call makes them the ones landtrack's GDAL
/// functions forward to; later calls change nothing); else 0 with the reason (dlerror's text, or the
/// first missing function) in `message`. Thread-safe (a mutex).
int landtrack_gdal_load(const char *path, char *message, size_t capacity);

/// Writes the library file landtrack loads: the soname of the GDAL whose headers it was compiled with.
void landtrack_gdal_soname(char *name, size_t capacity);

#endif
