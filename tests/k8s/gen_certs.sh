#!/bin/sh
# Throw-away PKI for the fake kube-apiserver's TLS tests.
#
#   tests/k8s/gen_certs.sh OUTDIR
#
# Writes into OUTDIR (created if missing):
#   ca.crt, ca.key          a test CA (the stand-in for the serviceaccount ca.crt)
#   server.crt, server.key  signed by that CA; SANs IP:127.0.0.1, DNS:localhost,
#                           DNS:kubernetes.default.svc; EKU serverAuth; valid 1 day
#   other-ca.crt            an unrelated CA, for "wrong CA must fail closed" tests
# Quiet on success; on failure prints openssl's output and exits non-zero.
set -eu

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"
log="$out/.gen_certs.log"
: >"$log"

run() {
    if ! "$@" >>"$log" 2>&1; then
        cat "$log" >&2
        echo "gen_certs.sh: failed: $*" >&2
        exit 1
    fi
}

ext="$out/.server.ext"
cat >"$ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:kubernetes.default.svc
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF

# CA: self-signed, EC P-256 (fast to generate).
run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$out/ca.key" -out "$out/ca.crt" -days 1 -subj "/CN=meshd-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# Server key + CSR, signed by the CA with the extensions above.
run openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$out/server.key" -out "$out/server.csr" -subj "/CN=kube-apiserver"
run openssl x509 -req -in "$out/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -CAcreateserial -out "$out/server.crt" -days 1 -extfile "$ext"

# An unrelated CA (its key is discarded).
run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$out/.other-ca.key" -out "$out/other-ca.crt" -days 1 -subj "/CN=meshd-other-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

run openssl verify -CAfile "$out/ca.crt" "$out/server.crt"
rm -f "$out/server.csr" "$out/ca.srl" "$out/.other-ca.key" "$ext" "$log"
chmod 600 "$out/ca.key" "$out/server.key"
