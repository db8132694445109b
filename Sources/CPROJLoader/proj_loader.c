// PROJ loaded on first use. landtrack is not linked with libproj: this file defines every PROJ
// function landtrack calls, each forwarding to the function of that name in the library opened by
// the first call of any of them. Each definition repeats PROJ's prototype, so the compiler checks it
// against proj.h / geodesic.h (a mismatch is a "conflicting types" error), and a PROJ function
// called from Swift without a definition here fails to link. A library that cannot be opened, or
// lacks one of the functions, stops landtrack with the reason, as the dynamic linker stopped it when
// the library was linked.
#include "CPROJLoader.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <proj.h>
#include <geodesic.h>

#define LANDTRACK_PROJ_FUNCTIONS(X) \
    X(proj_context_create) X(proj_context_destroy) X(proj_context_errno) X(proj_context_errno_string) \
    X(proj_log_level) X(proj_errno_reset) \
    X(proj_create) X(proj_create_crs_to_crs) X(proj_clone) X(proj_destroy) X(proj_normalize_for_visualization) \
    X(proj_get_type) X(proj_get_name) X(proj_get_id_code) X(proj_get_id_auth_name) X(proj_as_wkt) \
    X(proj_get_ellipsoid) X(proj_ellipsoid_get_parameters) \
    X(proj_crs_get_geodetic_crs) X(proj_crs_get_coordinate_system) X(proj_cs_get_axis_info) \
    X(proj_trans_generic) \
    X(geod_init) X(geod_polygonarea)

// One pointer a function, of the type of PROJ's own declaration; set once, by `load`.
#define LANDTRACK_POINTER(name) static __typeof__(&name) loaded_##name;
LANDTRACK_PROJ_FUNCTIONS(LANDTRACK_POINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;

// The soname of the PROJ whose headers landtrack was compiled with (PROJ 9: libproj.so.25), then the
// development link, which any libproj-dev installs.
static void load(void) {
    const char *names[] = {"libproj.so.25", "libproj.so"};
    const char *why = "";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        // RTLD_LOCAL: its symbols stay out of the global scope; dlsym on its handle finds its own
        // definitions, never the forwarding ones of this file.
        void *library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!library) {
            why = dlerror();
            continue;
        }
#define LANDTRACK_RESOLVE(name) \
        loaded_##name = (__typeof__(&name))dlsym(library, #name); \
        if (!loaded_##name) { \
            fprintf(stderr, "landtrack: %s has no function %s (PROJ 9 is needed: apt-get install libproj-dev)\n", names[i], #name); \
            exit(70); \
        }
        LANDTRACK_PROJ_FUNCTIONS(LANDTRACK_RESOLVE)
        return;
    }
    fprintf(stderr, "landtrack: cannot load PROJ (libproj.so.25): %s (apt-get install libproj-dev)\n", why ? why : "");
    exit(70);
}

#define CALL(name) (pthread_once(&once, load), loaded_##name)

PJ_CONTEXT *proj_context_create(void) { return CALL(proj_context_create)(); }
PJ_CONTEXT *proj_context_destroy(PJ_CONTEXT *ctx) { return CALL(proj_context_destroy)(ctx); }
int proj_context_errno(PJ_CONTEXT *ctx) { return CALL(proj_context_errno)(ctx); }
const char *proj_context_errno_string(PJ_CONTEXT *ctx, int err) { return CALL(proj_context_errno_string)(ctx, err); }
PJ_LOG_LEVEL proj_log_level(PJ_CONTEXT *ctx, PJ_LOG_LEVEL level) { return CALL(proj_log_level)(ctx, level); }
int proj_errno_reset(const PJ *p) { return CALL(proj_errno_reset)(p); }

PJ *proj_create(PJ_CONTEXT *ctx, const char *definition) { return CALL(proj_create)(ctx, definition); }
PJ *proj_create_crs_to_crs(PJ_CONTEXT *ctx, const char *source, const char *target, PJ_AREA *area) {
    return CALL(proj_create_crs_to_crs)(ctx, source, target, area);
}
PJ *proj_clone(PJ_CONTEXT *ctx, const PJ *obj) { return CALL(proj_clone)(ctx, obj); }
PJ *proj_destroy(PJ *p) { return CALL(proj_destroy)(p); }
PJ *proj_normalize_for_visualization(PJ_CONTEXT *ctx, const PJ *obj) { return CALL(proj_normalize_for_visualization)(ctx, obj); }

PJ_TYPE proj_get_type(const PJ *obj) { return CALL(proj_get_type)(obj); }
const char *proj_get_name(const PJ *obj) { return CALL(proj_get_name)(obj); }
const char *proj_get_id_code(const PJ *obj, int index) { return CALL(proj_get_id_code)(obj, index); }
const char *proj_get_id_auth_name(const PJ *obj, int index) { return CALL(proj_get_id_auth_name)(obj, index); }
const char *proj_as_wkt(PJ_CONTEXT *ctx, const PJ *obj, PJ_WKT_TYPE type, const char *const *options) {
    return CALL(proj_as_wkt)(ctx, obj, type, options);
}

PJ *proj_get_ellipsoid(PJ_CONTEXT *ctx, const PJ *obj) { return CALL(proj_get_ellipsoid)(ctx, obj); }
int proj_ellipsoid_get_parameters(PJ_CONTEXT *ctx, const PJ *ellipsoid, double *semi_major, double *semi_minor,
                                  int *semi_minor_computed, double *inverse_flattening) {
    return CALL(proj_ellipsoid_get_parameters)(ctx, ellipsoid, semi_major, semi_minor, semi_minor_computed, inverse_flattening);
}

PJ *proj_crs_get_geodetic_crs(PJ_CONTEXT *ctx, const PJ *crs) { return CALL(proj_crs_get_geodetic_crs)(ctx, crs); }
PJ *proj_crs_get_coordinate_system(PJ_CONTEXT *ctx, const PJ *crs) { return CALL(proj_crs_get_coordinate_system)(ctx, crs); }
int proj_cs_get_axis_info(PJ_CONTEXT *ctx, const PJ *cs, int index, const char **name, const char **abbrev,
                          const char **direction, double *unit_conv_factor, const char **unit_name,
                          const char **unit_auth_name, const char **unit_code) {
    return CALL(proj_cs_get_axis_info)(ctx, cs, index, name, abbrev, direction, unit_conv_factor, unit_name, unit_auth_name, unit_code);
}

size_t proj_trans_generic(PJ *p, PJ_DIRECTION direction, double *x, size_t sx, size_t nx, double *y, size_t sy, size_t ny,
                          double *z, size_t sz, size_t nz, double *t, size_t st, size_t nt) {
    return CALL(proj_trans_generic)(p, direction, x, sx, nx, y, sy, ny, z, sz, nz, t, st, nt);
}

void geod_init(struct geod_geodesic *g, double a, double f) { CALL(geod_init)(g, a, f); }
void geod_polygonarea(const struct geod_geodesic *g, double lats[], double lons[], int n, double *pA, double *pP) {
    CALL(geod_polygonarea)(g, lats, lons, n, pA, pP);
}
