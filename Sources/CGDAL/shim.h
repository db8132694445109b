// GDAL 3.6 C API: datasets and layers (gdal.h, ogr_api.h), spatial references (ogr_srs_api.h),
// errors (cpl_error.h). Included by their folder (libgdal-dev's /usr/include/gdal) rather than
// through pkg-config, whose flags would link libgdal into landtrack (see Package.swift).
#include <gdal/gdal.h>
#include <gdal/ogr_api.h>
#include <gdal/ogr_srs_api.h>
#include <gdal/cpl_error.h>
#include <gdal/cpl_string.h>
