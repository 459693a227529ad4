#!/bin/sh
# Patroni's bootstrap.post_bootstrap on the node that initialised the cluster (PostgreSQL is up,
# it is the primary): creates the pgBackRest stanza so WAL archiving starts working. Patroni
# passes a connection string as $1; pgBackRest finds PostgreSQL through pgbackrest.conf.
set -eu
pgbackrest --stanza=wallet stanza-create
