// PROJ 9: CRS transformations (proj.h) and GeographicLib geodesics (geodesic.h,
// shipped inside libproj).
#include <proj.h>
#include <geodesic.h>
