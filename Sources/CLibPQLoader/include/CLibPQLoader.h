// libpq is loaded on first use (dlopen), not when landtrack starts: libpq.so pulls in OpenSSL,
// Kerberos, LDAP and SASL (about a dozen libraries), whose loading took ~5 ms of every command's
// start, though only a PostGIS store calls libpq.
#ifndef LANDTRACK_CLIBPQ_LOADER_H
#define LANDTRACK_CLIBPQ_LOADER_H
#include <stddef.h>

/// Opens libpq (libpq.so.5, else libpq.so) and resolves every libpq function landtrack calls, once.
/// Returns 1 when that succeeded, else 0 with the reason (dlerror's text, or the first missing
/// function) in `message`. Thread-safe. The PostGIS store calls it before its first connection; a
/// libpq function called when it failed stops landtrack with the reason.
int landtrack_pq_load(char *message, size_t capacity);

#endif
