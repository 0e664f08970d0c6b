/*
 * Operator-readable forms of a certificate's fields for gw-pki and for
 * log lines: serial, times, fingerprint and a summary.  The text is meant
 * for people, not for parsing; certificate bytes are made printable.
 */
#ifndef GW_PKI_SHOW_H
#define GW_PKI_SHOW_H

#include <stdio.h>

#include <openssl/x509.h>

/* The serial in hex, whole bytes ("05").  0 or -EINVAL. */
int gw_pki_show_serial(X509 *cert, char *out, size_t outlen);

/* "2027-12-04 15:00:00 UTC".  0 or -EINVAL. */
int gw_pki_show_time(const ASN1_TIME *t, char *out, size_t outlen);

/* SHA-256 of the DER certificate as colon-separated hex; @outlen of at
 * least 96.  0 or -EINVAL. */
int gw_pki_show_fingerprint(X509 *cert, char *out, size_t outlen);

/* A summary of @cert, one field per line. */
void gw_pki_show_cert(X509 *cert, FILE *out);

#endif
