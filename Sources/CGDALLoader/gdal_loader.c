// GDAL loaded on first use. landtrack is not linked with libgdal: this file defines every GDAL
// function landtrack calls, each forwarding to the function of that name in the library that
// landtrack_gdal_load opened. Each definition repeats GDAL's prototype, so the compiler checks it
// against gdal.h / ogr_api.h / ogr_srs_api.h (a mismatch is a "conflicting types" error), and a GDAL
// function called from Swift without a definition here fails to link.
#include "CGDALLoader.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <gdal/gdal.h>
#include <gdal/ogr_api.h>
#include <gdal/ogr_srs_api.h>
#include <gdal/cpl_error.h>
#include <gdal/cpl_string.h>
#include <gdal/cpl_vsi.h>

#define LANDTRACK_GDAL_FUNCTIONS(X) \
    X(CPLErrorReset) X(CPLGetLastErrorMsg) X(VSIFree) \
    X(GDALAllRegister) X(GDALVersionInfo) X(GDALGetDriverByName) X(GDALOpenEx) X(GDALCreate) X(GDALClose) \
    X(GDALDatasetGetLayerCount) X(GDALDatasetGetLayer) X(GDALDatasetCreateLayer) \
    X(OGR_L_GetName) X(OGR_L_GetGeomType) X(OGR_L_GetLayerDefn) X(OGR_L_GetSpatialRef) X(OGR_L_ResetReading) \
    X(OGR_L_GetNextFeature) X(OGR_L_CreateField) X(OGR_L_CreateFeature) \
    X(OGR_FD_GetFieldCount) X(OGR_FD_GetFieldDefn) \
    X(OGR_Fld_Create) X(OGR_Fld_Destroy) X(OGR_Fld_GetNameRef) X(OGR_Fld_GetType) X(OGR_Fld_GetSubType) \
    X(OGR_Fld_SetWidth) X(OGR_Fld_SetPrecision) \
    X(OGR_F_Create) X(OGR_F_Destroy) X(OGR_F_GetFID) X(OGR_F_IsFieldSetAndNotNull) X(OGR_F_GetFieldAsInteger) \
    X(OGR_F_GetFieldAsInteger64) X(OGR_F_GetFieldAsDouble) X(OGR_F_GetFieldAsString) X(OGR_F_GetGeometryRef) \
    X(OGR_F_SetFieldInteger) X(OGR_F_SetFieldDouble) X(OGR_F_SetFieldString) X(OGR_F_SetFieldNull) \
    X(OGR_F_SetGeometryDirectly) \
    X(OGR_GT_Flatten) X(OGR_G_CreateFromWkb) X(OGR_G_ExportToIsoWkb) X(OGR_G_IsEmpty) X(OGR_G_WkbSize) \
    X(OSRNewSpatialReference) X(OSRRelease) X(OSRClone) X(OSRImportFromEPSG) X(OSRSetAxisMappingStrategy) \
    X(OSRAutoIdentifyEPSG) X(OSRFindMatches) X(OSRFreeSRSArray) X(OSRGetAuthorityName) X(OSRGetAuthorityCode) \
    X(OSRExportToWkt)

// One pointer a function, of the type of GDAL's own declaration.
#define LANDTRACK_POINTER(name) static __typeof__(&name) loaded_##name;
LANDTRACK_GDAL_FUNCTIONS(LANDTRACK_POINTER)

// The opened library; set once, under `lock`, when every function resolved.
static void *library;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

// GDAL 3.x is libgdal.so.(26 + minor): 3.6 (Debian 12) is libgdal.so.32. The soname of the headers
// compiled against, so that the functions' ABI is the one these prototypes describe.
void landtrack_gdal_soname(char *name, size_t capacity) {
#if GDAL_VERSION_MAJOR == 3
    snprintf(name, capacity, "libgdal.so.%d", 26 + GDAL_VERSION_MINOR);
#else
    snprintf(name, capacity, "libgdal.so");
#endif
}

// Resolves into locals first: a path that fails leaves an earlier load untouched, and the answer
// for a path does not depend on what was loaded before.
static int load_locked(const char *path, char *message, size_t capacity) {
    void *opened = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!opened) {
        const char *why = dlerror();
        snprintf(message, capacity, "%s", why ? why : "dlopen failed without a message");
        return 0;
    }
    // dlsym on the library's handle: its own definition, never the forwarding one of this file.
#define LANDTRACK_RESOLVE(name) \
    __typeof__(&name) found_##name = (__typeof__(&name))dlsym(opened, #name); \
    if (!found_##name) { snprintf(message, capacity, "%s has no function %s", path, #name); dlclose(opened); return 0; }
    LANDTRACK_GDAL_FUNCTIONS(LANDTRACK_RESOLVE)
    if (library) { dlclose(opened); return 1; }  // loaded before: dlopen only counted another reference
#define LANDTRACK_COMMIT(name) loaded_##name = found_##name;
    LANDTRACK_GDAL_FUNCTIONS(LANDTRACK_COMMIT)
    library = opened;
    return 1;
}

int landtrack_gdal_load(const char *path, char *message, size_t capacity) {
    pthread_mutex_lock(&lock);
    int loaded = load_locked(path, message, capacity);
    pthread_mutex_unlock(&lock);
    return loaded;
}

// A call before landtrack_gdal_load succeeded is a bug in landtrack (VectorSources loads GDAL
// before its first call): say which function, and stop.
static void unloaded(const char *name) {
    fprintf(stderr, "landtrack: internal error: GDAL function %s called before GDAL was loaded\n", name);
    abort();
}
#define CALL(name) (loaded_##name ? (void)0 : unloaded(#name)), loaded_##name

void CPLErrorReset(void) { CALL(CPLErrorReset)(); }
const char *CPLGetLastErrorMsg(void) { return CALL(CPLGetLastErrorMsg)(); }
void VSIFree(void *p) { CALL(VSIFree)(p); }

void GDALAllRegister(void) { CALL(GDALAllRegister)(); }
const char *GDALVersionInfo(const char *key) { return CALL(GDALVersionInfo)(key); }
GDALDriverH GDALGetDriverByName(const char *name) { return CALL(GDALGetDriverByName)(name); }
GDALDatasetH GDALOpenEx(const char *filename, unsigned int flags, const char *const *drivers,
                        const char *const *options, const char *const *siblings) {
    return CALL(GDALOpenEx)(filename, flags, drivers, options, siblings);
}
GDALDatasetH GDALCreate(GDALDriverH driver, const char *name, int x, int y, int bands, GDALDataType type,
                        CSLConstList options) {
    return CALL(GDALCreate)(driver, name, x, y, bands, type, options);
}
void GDALClose(GDALDatasetH dataset) { CALL(GDALClose)(dataset); }
int GDALDatasetGetLayerCount(GDALDatasetH dataset) { return CALL(GDALDatasetGetLayerCount)(dataset); }
OGRLayerH GDALDatasetGetLayer(GDALDatasetH dataset, int i) { return CALL(GDALDatasetGetLayer)(dataset, i); }
OGRLayerH GDALDatasetCreateLayer(GDALDatasetH dataset, const char *name, OGRSpatialReferenceH srs,
                                 OGRwkbGeometryType type, CSLConstList options) {
    return CALL(GDALDatasetCreateLayer)(dataset, name, srs, type, options);
}

const char *OGR_L_GetName(OGRLayerH layer) { return CALL(OGR_L_GetName)(layer); }
OGRwkbGeometryType OGR_L_GetGeomType(OGRLayerH layer) { return CALL(OGR_L_GetGeomType)(layer); }
OGRFeatureDefnH OGR_L_GetLayerDefn(OGRLayerH layer) { return CALL(OGR_L_GetLayerDefn)(layer); }
OGRSpatialReferenceH OGR_L_GetSpatialRef(OGRLayerH layer) { return CALL(OGR_L_GetSpatialRef)(layer); }
void OGR_L_ResetReading(OGRLayerH layer) { CALL(OGR_L_ResetReading)(layer); }
OGRFeatureH OGR_L_GetNextFeature(OGRLayerH layer) { return CALL(OGR_L_GetNextFeature)(layer); }
OGRErr OGR_L_CreateField(OGRLayerH layer, OGRFieldDefnH field, int approximate) {
    return CALL(OGR_L_CreateField)(layer, field, approximate);
}
OGRErr OGR_L_CreateFeature(OGRLayerH layer, OGRFeatureH feature) { return CALL(OGR_L_CreateFeature)(layer, feature); }

int OGR_FD_GetFieldCount(OGRFeatureDefnH defn) { return CALL(OGR_FD_GetFieldCount)(defn); }
OGRFieldDefnH OGR_FD_GetFieldDefn(OGRFeatureDefnH defn, int i) { return CALL(OGR_FD_GetFieldDefn)(defn, i); }

OGRFieldDefnH OGR_Fld_Create(const char *name, OGRFieldType type) { return CALL(OGR_Fld_Create)(name, type); }
void OGR_Fld_Destroy(OGRFieldDefnH field) { CALL(OGR_Fld_Destroy)(field); }
const char *OGR_Fld_GetNameRef(OGRFieldDefnH field) { return CALL(OGR_Fld_GetNameRef)(field); }
OGRFieldType OGR_Fld_GetType(OGRFieldDefnH field) { return CALL(OGR_Fld_GetType)(field); }
OGRFieldSubType OGR_Fld_GetSubType(OGRFieldDefnH field) { return CALL(OGR_Fld_GetSubType)(field); }
void OGR_Fld_SetWidth(OGRFieldDefnH field, int width) { CALL(OGR_Fld_SetWidth)(field, width); }
void OGR_Fld_SetPrecision(OGRFieldDefnH field, int precision) { CALL(OGR_Fld_SetPrecision)(field, precision); }

OGRFeatureH OGR_F_Create(OGRFeatureDefnH defn) { return CALL(OGR_F_Create)(defn); }
void OGR_F_Destroy(OGRFeatureH feature) { CALL(OGR_F_Destroy)(feature); }
GIntBig OGR_F_GetFID(OGRFeatureH feature) { return CALL(OGR_F_GetFID)(feature); }
int OGR_F_IsFieldSetAndNotNull(OGRFeatureH feature, int i) { return CALL(OGR_F_IsFieldSetAndNotNull)(feature, i); }
int OGR_F_GetFieldAsInteger(OGRFeatureH feature, int i) { return CALL(OGR_F_GetFieldAsInteger)(feature, i); }
GIntBig OGR_F_GetFieldAsInteger64(OGRFeatureH feature, int i) { return CALL(OGR_F_GetFieldAsInteger64)(feature, i); }
double OGR_F_GetFieldAsDouble(OGRFeatureH feature, int i) { return CALL(OGR_F_GetFieldAsDouble)(feature, i); }
const char *OGR_F_GetFieldAsString(OGRFeatureH feature, int i) { return CALL(OGR_F_GetFieldAsString)(feature, i); }
OGRGeometryH OGR_F_GetGeometryRef(OGRFeatureH feature) { return CALL(OGR_F_GetGeometryRef)(feature); }
void OGR_F_SetFieldInteger(OGRFeatureH feature, int i, int value) { CALL(OGR_F_SetFieldInteger)(feature, i, value); }
void OGR_F_SetFieldDouble(OGRFeatureH feature, int i, double value) { CALL(OGR_F_SetFieldDouble)(feature, i, value); }
void OGR_F_SetFieldString(OGRFeatureH feature, int i, const char *value) {
    CALL(OGR_F_SetFieldString)(feature, i, value);
}
void OGR_F_SetFieldNull(OGRFeatureH feature, int i) { CALL(OGR_F_SetFieldNull)(feature, i); }
OGRErr OGR_F_SetGeometryDirectly(OGRFeatureH feature, OGRGeometryH geometry) {
    return CALL(OGR_F_SetGeometryDirectly)(feature, geometry);
}

OGRwkbGeometryType OGR_GT_Flatten(OGRwkbGeometryType type) { return CALL(OGR_GT_Flatten)(type); }
OGRErr OGR_G_CreateFromWkb(const void *wkb, OGRSpatialReferenceH srs, OGRGeometryH *geometry, int size) {
    return CALL(OGR_G_CreateFromWkb)(wkb, srs, geometry, size);
}
OGRErr OGR_G_ExportToIsoWkb(OGRGeometryH geometry, OGRwkbByteOrder order, unsigned char *wkb) {
    return CALL(OGR_G_ExportToIsoWkb)(geometry, order, wkb);
}
int OGR_G_IsEmpty(OGRGeometryH geometry) { return CALL(OGR_G_IsEmpty)(geometry); }
int OGR_G_WkbSize(OGRGeometryH geometry) { return CALL(OGR_G_WkbSize)(geometry); }

OGRSpatialReferenceH OSRNewSpatialReference(const char *wkt) { return CALL(OSRNewSpatialReference)(wkt); }
void OSRRelease(OGRSpatialReferenceH srs) { CALL(OSRRelease)(srs); }
OGRSpatialReferenceH OSRClone(OGRSpatialReferenceH srs) { return CALL(OSRClone)(srs); }
OGRErr OSRImportFromEPSG(OGRSpatialReferenceH srs, int code) { return CALL(OSRImportFromEPSG)(srs, code); }
void OSRSetAxisMappingStrategy(OGRSpatialReferenceH srs, OSRAxisMappingStrategy strategy) {
    CALL(OSRSetAxisMappingStrategy)(srs, strategy);
}
OGRErr OSRAutoIdentifyEPSG(OGRSpatialReferenceH srs) { return CALL(OSRAutoIdentifyEPSG)(srs); }
OGRSpatialReferenceH *OSRFindMatches(OGRSpatialReferenceH srs, char **options, int *count, int **confidences) {
    return CALL(OSRFindMatches)(srs, options, count, confidences);
}
void OSRFreeSRSArray(OGRSpatialReferenceH *array) { CALL(OSRFreeSRSArray)(array); }
const char *OSRGetAuthorityName(OGRSpatialReferenceH srs, const char *key) { return CALL(OSRGetAuthorityName)(srs, key); }
const char *OSRGetAuthorityCode(OGRSpatialReferenceH srs, const char *key) { return CALL(OSRGetAuthorityCode)(srs, key); }
OGRErr OSRExportToWkt(OGRSpatialReferenceH srs, char **wkt) { return CALL(OSRExportToWkt)(srs, wkt); }
