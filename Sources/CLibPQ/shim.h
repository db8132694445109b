// libpq, PostgreSQL's own client library: synchronous like the store interface, and it
// carries the COPY protocol, connection URIs, sslmode and the PG* environment variables.
#include <postgresql/libpq-fe.h>
