#!/bin/sh
# Antivirus on, with a signature database built at test time: the EICAR
# string in a plain text body, EICAR as an attachment and ClamAV's test
# program clam.exe inside a zip are each refused at the end of DATA with
# the virus reply (554 5.7.1 Message rejected: virus found (NAME)); none
# is delivered; clean mail in between gets X-Virus-Status: Clean.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init virus
e2e_av_db
echo "clamav = on" | e2e_conf
e2e_start

# $1 tag, $2 message file, $3 ERE for the virus name
refused_as_virus() {
	e2e_send "$1" --from sender@origin.example --to rcpt@dest.example \
	    --data "@$2"
	rc=$?
	e2e_check "$1: refused after DATA (swaks exit 26)" [ $rc = 26 ]
	e2e_check "$1: 554 5.7.1 Message rejected: virus found ($3)" \
	    e2e_reply_has "$1" "^554 5\\.7\\.1 Message rejected: virus found \\($3\\)\$"
}

tok_plain=e2e-eicar-plain-$$
e2e_msg "$E2E_DIR/plain.eml" "eicar $tok_plain" "$(e2e_eicar)"
refused_as_virus eicar-plain "$E2E_DIR/plain.eml" \
    'E2E\.Test\.EICAR[.A-Za-z]*'

# Not "eicar.com": the shipped attachment rules refuse .com by name first.
tok_att=e2e-eicar-attach-$$
e2e_msg_attach "$E2E_DIR/attach.eml" "eicar $tok_att" "$E2E_DIR/eicar.com" eicar.txt
refused_as_virus eicar-attachment "$E2E_DIR/attach.eml" \
    'E2E\.Test\.EICAR[.A-Za-z]*'

tok_zip=
if [ -n "$E2E_CLAM_EXE" ]; then
	tok_zip=e2e-clam-zip-$$
	$PYTHON - "$E2E_CLAM_EXE" "$E2E_DIR/clam.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:
    z.write(sys.argv[1], 'clam.exe')
PY
	e2e_msg_attach "$E2E_DIR/zip.eml" "zip $tok_zip" "$E2E_DIR/clam.zip" clam.zip
	refused_as_virus clam-exe-zip "$E2E_DIR/zip.eml" \
	    'E2E\.Test\.ClamExe[.A-Za-z]*'
else
	echo "# clamav-testfiles not installed: clam.exe in a zip not tried" \
	    "(Debian: apt-get install clamav-testfiles)"
fi

tok_clean=e2e-virus-clean-$$
e2e_msg "$E2E_DIR/clean.eml" "clean $tok_clean"
e2e_send clean --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/clean.eml"
f=$(e2e_wait_delivered "$tok_clean" 30)
e2e_check "a clean message in between is delivered" [ -n "$f" ]
[ -n "$f" ] && e2e_check "... with X-Virus-Status: Clean" \
    [ "$(e2e_header "$f" X-Virus-Status)" = Clean ]
for t in $tok_plain $tok_att $tok_zip; do
	e2e_check "the infected message $t was not delivered" \
	    e2e_not e2e_delivered "$t"
done
e2e_check "Warden logged the virus names" \
    grep -q "action=reject .*virus=E2E.Test.EICAR" "$E2E_WLOG"
e2e_done
