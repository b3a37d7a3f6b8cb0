#!/bin/sh
# tempfail.sh with a private Sendmail in Postfix's place (tests/e2e/sendmail.sh).
E2E_MTA=sendmail
E2E_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$E2E_SRC/tempfail.sh"
