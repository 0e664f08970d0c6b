/*
 * The package manifest inside pki/: its text form, its parser, and the
 * checks of package names and versions that signing and verification
 * share.  The public side is in gw_pki.h.
 */
#ifndef GW_PKI_MANIFEST_H
#define GW_PKI_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "gw_pki.h"

/* Longer than any manifest this code writes. */
#define GW_PKI_MANIFEST_MAX 512

/* 1 when @s is 1 to 64 of [A-Za-z0-9._-] not starting with '.' or '-'. */
int gw_pki_pkg_name_valid(const char *s);
/* 1 when @s is a version gw_pki_version_cmp accepts. */
int gw_pki_version_valid(const char *s);

/* Size and lower-case hex SHA-256 of the file at @path.  0 or a negative
 * errno. */
int gw_pki_file_digest(const char *path, uint64_t *size, char hex[65]);

/* The manifest's text into @out; its length, or -ENOSPC. */
int gw_pki_manifest_format(const struct gw_pki_manifest *m, char *out,
			   size_t outlen);

/* Parses exactly the text gw_pki_manifest_format writes (signer left
 * empty).  0 or -EINVAL. */
int gw_pki_manifest_parse(const char *text, size_t len,
			  struct gw_pki_manifest *m);

#endif
