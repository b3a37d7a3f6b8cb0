#!/bin/sh
# gen_hdb.sh N [SEED] -- print N made-up .hdb signatures (random md5,
# size, name) for memory and load-time measurements.  They match nothing
# real.
n=${1:?usage: gen_hdb.sh N [SEED]}
awk -v n="$n" -v seed="${2:-1}" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++)
		printf "%08x%08x%08x%08x:%d:Warden.Gen.%d\n",
		    int(rand() * 4294967296), int(rand() * 4294967296),
		    int(rand() * 4294967296), int(rand() * 4294967296),
		    1000 + int(rand() * 1000000), i
}'
