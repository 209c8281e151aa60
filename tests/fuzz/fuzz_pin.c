/* Pins: pin_parse on arbitrary text, and the pin_format / pin_parse round trip.
 *
 * Invariants: a parsed pin formats to a text that parses to the same hash, in
 * both forms (sha256/B64 and curl's sha256//B64); an accepted text is 51 bytes
 * (52 in curl's form) and a rejected one has a reason.  And the other way: the
 * first 32 bytes of the input, taken as a hash, survive format -> parse. */
#include "config.h"
#include "fuzz.h"
#include "ossl.h"
#include "pin.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ossl_bind_linked();
    return 0;
}

static void round_trip(const struct pin *p)
{
    char text[PIN_TEXT_MAX], curl[PIN_TEXT_MAX + 1];
    struct pin back;
    const char *why = NULL;

    memset(text, 0x55, sizeof text);
    pin_format(p, text);
    FUZZ_ASSERT(memchr(text, '\0', sizeof text) != NULL, "pin_format left no NUL");
    FUZZ_ASSERT(strlen(text) == 51, "pin_format wrote %zu bytes: %s", strlen(text), text);
    FUZZ_ASSERT(pin_parse(text, &back, &why) == 0, "%s does not parse back: %s", text, why);
    FUZZ_ASSERT(memcmp(back.hash, p->hash, PIN_LEN) == 0, "%s parses to another hash", text);
    snprintf(curl, sizeof curl, "sha256//%s", text + 7);
    FUZZ_ASSERT(pin_parse(curl, &back, &why) == 0, "curl form %s does not parse: %s", curl, why);
    FUZZ_ASSERT(memcmp(back.hash, p->hash, PIN_LEN) == 0, "curl form %s parses to another hash", curl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size, 256);
    struct pin p;
    const char *why = NULL;

    memset(&p, 0, sizeof p);
    if (pin_parse(text, &p, &why) == 0) {
        size_t len = strlen(text);
        FUZZ_ASSERT(len == 51 || len == 52, "accepted a pin of %zu bytes: %s", len, text);
        round_trip(&p);
    } else {
        FUZZ_ASSERT(why != NULL && why[0] != '\0', "rejected %s without a reason", text);
    }
    free(text);

    if (size >= PIN_LEN) {
        memcpy(p.hash, data, PIN_LEN);
        round_trip(&p);
    }
    return 0;
}
