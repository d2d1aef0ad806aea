#!/bin/sh
# Throw-away PKI for the server TLS tests (tls_server_test.cc).
#
#   tests/unit/transport/gen_server_certs.sh OUTDIR
#
# Writes into OUTDIR (created if missing); every certificate is valid for 1 day and every
# server certificate carries SANs IP:127.0.0.1 and DNS:localhost:
#   ca.crt                        the root CA trusted by clients and for client certificates
#   inter.crt                     an intermediate CA signed by the root
#   other-ca.crt                  an unrelated CA
#   server-ec.{crt,key}           CN=server-ec, EC P-256, key in PKCS#8
#   server-ec.sec1.key            the same key in SEC1 ("BEGIN EC PRIVATE KEY")
#   server-ec.enc.key             the same key, encrypted PKCS#8 (password "secret")
#   server-rsa.{crt,key}          CN=server-rsa, RSA 2048, key in PKCS#8
#   server-rsa.pkcs1.key          the same key in PKCS#1 ("BEGIN RSA PRIVATE KEY")
#   server-two.{crt,key}          CN=server-two, EC (the "renewed" certificate of reload tests)
#   server-inter.{crt,key}        CN=server-inter, signed by the intermediate
#   client.{crt,key}              CN=client, clientAuth, signed by the root
#   other-client.{crt,key}        CN=other-client, signed by the unrelated CA
# Quiet on success; on failure prints openssl's output and exits non-zero.
set -eu

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"
log="$out/.gen.log"
: >"$log"

run() {
    if ! "$@" >>"$log" 2>&1; then
        cat "$log" >&2
        echo "gen_server_certs.sh: failed: $*" >&2
        exit 1
    fi
}

cat >"$out/.server.ext" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
EXT
cat >"$out/.client.ext" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EXT
cat >"$out/.ca.ext" <<'EXT'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
EXT

# ca NAME CN: a self-signed EC CA.
ca() {
    run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$out/$1.key" -out "$out/$1.crt" -days 1 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# leaf NAME CN ISSUER EXT [KEYALG...]: a key (EC P-256 unless given) and a certificate.
leaf() {
    name=$1 cn=$2 issuer=$3 ext=$4
    shift 4
    if [ "$#" -eq 0 ]; then
        set -- -newkey ec -pkeyopt ec_paramgen_curve:P-256
    fi
    run openssl req -new "$@" -nodes -keyout "$out/$name.key" -out "$out/$name.csr" \
        -subj "/CN=$cn"
    run openssl x509 -req -in "$out/$name.csr" -CA "$out/$issuer.crt" -CAkey "$out/$issuer.key" \
        -CAcreateserial -out "$out/$name.crt" -days 1 -extfile "$out/.$ext.ext"
    rm -f "$out/$name.csr"
}

ca ca meshd-test-root
ca other-ca meshd-other-ca
run openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$out/inter.key" -out "$out/inter.csr" -subj "/CN=meshd-test-intermediate"
run openssl x509 -req -in "$out/inter.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
    -CAcreateserial -out "$out/inter.crt" -days 1 -extfile "$out/.ca.ext"

leaf server-ec server-ec ca server
leaf server-rsa server-rsa ca server -newkey rsa:2048
leaf server-two server-two ca server
leaf server-inter server-inter inter server
leaf client client ca client
leaf other-client other-client other-ca client

run openssl pkey -in "$out/server-ec.key" -traditional -out "$out/server-ec.sec1.key"
run openssl pkey -in "$out/server-ec.key" -aes256 -passout pass:secret -out "$out/server-ec.enc.key"
run openssl rsa -in "$out/server-rsa.key" -traditional -out "$out/server-rsa.pkcs1.key"

rm -f "$out"/*.srl "$out"/*.csr "$out/.server.ext" "$out/.client.ext" "$out/.ca.ext" "$log"
