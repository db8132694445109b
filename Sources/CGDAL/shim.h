// GDAL 3.6 C API: datasets and layers (gdal.h, ogr_api.h), spatial references (ogr_srs_api.h),
// errors (cpl_error.h).
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_error.h>
#include <cpl_string.h>
