// libpq loaded on first use. landtrack is not linked with libpq: this file defines every libpq
// function landtrack calls, each forwarding to the function of that name in the library that
// landtrack_pq_load opened. Each definition repeats libpq's prototype, so the compiler checks it
// against libpq-fe.h (a mismatch is a "conflicting types" error), and a libpq function called from
// Swift without a definition here fails to link.
#include "CLibPQLoader.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <postgresql/libpq-fe.h>

#define LANDTRACK_PQ_FUNCTIONS(X) \
    X(PQconnectdb) X(PQfinish) X(PQstatus) X(PQerrorMessage) X(PQtransactionStatus) X(PQsetNoticeProcessor) \
    X(PQexec) X(PQexecParams) X(PQprepare) X(PQexecPrepared) X(PQsendQueryPrepared) X(PQgetResult) \
    X(PQresultStatus) X(PQresultErrorMessage) X(PQresultErrorField) X(PQclear) \
    X(PQntuples) X(PQfname) X(PQftype) X(PQgetvalue) X(PQgetlength) X(PQgetisnull) \
    X(PQputCopyData) X(PQputCopyEnd)

// One pointer a function, of the type of libpq's own declaration; set once, by `load`.
#define LANDTRACK_POINTER(name) static __typeof__(&name) loaded_##name;
LANDTRACK_PQ_FUNCTIONS(LANDTRACK_POINTER)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char failure[512];

// libpq's soname has been libpq.so.5 since PostgreSQL 8.2; then the development link.
static void load(void) {
    const char *names[] = {"libpq.so.5", "libpq.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        // RTLD_LOCAL: its symbols stay out of the global scope; dlsym on its handle finds its own
        // definitions, never the forwarding ones of this file.
        void *library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!library) {
            const char *why = dlerror();
            snprintf(failure, sizeof failure, "cannot load libpq (PostgreSQL's client library): %s", why ? why : "dlopen failed");
            continue;
        }
#define LANDTRACK_RESOLVE(name) \
        loaded_##name = (__typeof__(&name))dlsym(library, #name); \
        if (!loaded_##name) { snprintf(failure, sizeof failure, "%s has no function %s", names[i], #name); return; }
        LANDTRACK_PQ_FUNCTIONS(LANDTRACK_RESOLVE)
        loaded = 1;
        return;
    }
}

int landtrack_pq_load(char *message, size_t capacity) {
    pthread_once(&once, load);
    if (!loaded && capacity > 0) snprintf(message, capacity, "%s", failure);
    return loaded;
}

// A call when loading failed: the PostGIS store asked first, so this is a bug in landtrack.
static void unloaded(const char *name) {
    fprintf(stderr, "landtrack: internal error: libpq function %s called without libpq (%s)\n", name, failure);
    abort();
}
#define CALL(name) (pthread_once(&once, load), loaded ? (void)0 : unloaded(#name), loaded_##name)

PGconn *PQconnectdb(const char *conninfo) { return CALL(PQconnectdb)(conninfo); }
void PQfinish(PGconn *conn) { CALL(PQfinish)(conn); }
ConnStatusType PQstatus(const PGconn *conn) { return CALL(PQstatus)(conn); }
char *PQerrorMessage(const PGconn *conn) { return CALL(PQerrorMessage)(conn); }
PGTransactionStatusType PQtransactionStatus(const PGconn *conn) { return CALL(PQtransactionStatus)(conn); }
PQnoticeProcessor PQsetNoticeProcessor(PGconn *conn, PQnoticeProcessor proc, void *arg) {
    return CALL(PQsetNoticeProcessor)(conn, proc, arg);
}

PGresult *PQexec(PGconn *conn, const char *query) { return CALL(PQexec)(conn, query); }
PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues,
                       const int *paramLengths, const int *paramFormats, int resultFormat) {
    return CALL(PQexecParams)(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat);
}
PGresult *PQprepare(PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes) {
    return CALL(PQprepare)(conn, stmtName, query, nParams, paramTypes);
}
PGresult *PQexecPrepared(PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,
                         const int *paramLengths, const int *paramFormats, int resultFormat) {
    return CALL(PQexecPrepared)(conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat);
}
int PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,
                        const int *paramLengths, const int *paramFormats, int resultFormat) {
    return CALL(PQsendQueryPrepared)(conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat);
}
PGresult *PQgetResult(PGconn *conn) { return CALL(PQgetResult)(conn); }

ExecStatusType PQresultStatus(const PGresult *res) { return CALL(PQresultStatus)(res); }
char *PQresultErrorMessage(const PGresult *res) { return CALL(PQresultErrorMessage)(res); }
char *PQresultErrorField(const PGresult *res, int fieldcode) { return CALL(PQresultErrorField)(res, fieldcode); }
void PQclear(PGresult *res) { CALL(PQclear)(res); }

int PQntuples(const PGresult *res) { return CALL(PQntuples)(res); }
char *PQfname(const PGresult *res, int field_num) { return CALL(PQfname)(res, field_num); }
Oid PQftype(const PGresult *res, int field_num) { return CALL(PQftype)(res, field_num); }
char *PQgetvalue(const PGresult *res, int tup_num, int field_num) { return CALL(PQgetvalue)(res, tup_num, field_num); }
int PQgetlength(const PGresult *res, int tup_num, int field_num) { return CALL(PQgetlength)(res, tup_num, field_num); }
int PQgetisnull(const PGresult *res, int tup_num, int field_num) { return CALL(PQgetisnull)(res, tup_num, field_num); }

int PQputCopyData(PGconn *conn, const char *buffer, int nbytes) { return CALL(PQputCopyData)(conn, buffer, nbytes); }
int PQputCopyEnd(PGconn *conn, const char *errormsg) { return CALL(PQputCopyEnd)(conn, errormsg); }
