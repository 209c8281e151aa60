/* A pin: the SHA-256 of a DER SubjectPublicKeyInfo, written `sha256/BASE64`. */
#ifndef PINSHIM_PIN_H
#define PINSHIM_PIN_H

#include <stddef.h>

#define PIN_LEN 32
/* "sha256/" + 44 base64 characters + NUL */
#define PIN_TEXT_MAX 52

struct pin {
    unsigned char hash[PIN_LEN];
};

/* Parse `sha256/B64` or `sha256//B64` (curl's form).  Returns 0, or -1 with a
 * human reason in `why` (static text). */
int pin_parse(const char *text, struct pin *out, const char **why);

/* Format as `sha256/B64` into `out` (PIN_TEXT_MAX bytes). */
void pin_format(const struct pin *p, char out[PIN_TEXT_MAX]);

#endif
