/* validate.c - checks that turn a pattern match into a finding: Luhn for
 * card numbers, ISO 13616 mod-97 for IBANs, SSA rules for US SSNs, Shannon
 * entropy for generic tokens.  Separators (space, '-') are ignored. */
#include "redact/internal.h"

/* log2 without libm (the build does not link -lm): x = m * 2^e, m in
 * [1,2), ln m = 2 atanh((m-1)/(m+1)). */
static double lg2(double x)
{
    int e = 0;
    while (x >= 2.0) {
        x /= 2.0;
        e++;
    }
    while (x < 1.0) {
        x *= 2.0;
        e--;
    }
    double y = (x - 1.0) / (x + 1.0), y2 = y * y, t = y, s = 0.0;
    for (int k = 1; k < 40; k += 2) {
        s += t / k;
        t *= y2;
    }
    return e + 2.0 * s / 0.69314718055994530942;
}

/* Luhn over the digits; 12..19 digits required. */
int tr_val_luhn(const uint8_t *p, size_t n)
{
    unsigned sum = 0, nd = 0;
    for (size_t i = n; i-- > 0;) {
        uint8_t c = p[i];
        if (c == ' ' || c == '-')
            continue;
        if (c < '0' || c > '9')
            return 0;
        unsigned d = (unsigned)(c - '0');
        if (nd & 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
        nd++;
    }
    return nd >= 12 && nd <= 19 && sum % 10 == 0;
}

/* IBAN: 2 letters, 2 check digits, up to 30 alphanumerics; total 15..34;
 * moved-and-converted number mod 97 == 1. */
int tr_val_iban(const uint8_t *p, size_t n)
{
    uint8_t s[34];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == ' ' || c == '-')
            continue;
        if (m == sizeof s)
            return 0;
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)(c - 32);
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
        s[m++] = c;
    }
    if (m < 15 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' ||
        s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9')
        return 0;
    unsigned rem = 0;
    for (size_t k = 0; k < m; k++) {
        uint8_t c = s[(k + 4) % m];
        if (c >= '0' && c <= '9')
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    return rem == 1;
}

/* US SSN: 9 digits; area 000, 666 and 900-999, group 00 and serial 0000 are
 * never issued; 078-05-1120 and 219-09-9999 are famous advertising
 * numbers. */
int tr_val_ssn(const uint8_t *p, size_t n)
{
    char d[9];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == ' ' || c == '-')
            continue;
        if (c < '0' || c > '9' || m == 9)
            return 0;
        d[m++] = (char)c;
    }
    if (m != 9)
        return 0;
    unsigned area = (unsigned)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
    unsigned group = (unsigned)((d[3] - '0') * 10 + (d[4] - '0'));
    unsigned serial = (unsigned)((d[5] - '0') * 1000 + (d[6] - '0') * 100 +
                                 (d[7] - '0') * 10 + (d[8] - '0'));
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
        return 0;
    if ((area == 78 && group == 5 && serial == 1120) ||
        (area == 219 && group == 9 && serial == 9999))
        return 0;
    return 1;
}

/* Shannon entropy in bits per byte. */
double tr_val_entropy(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0.0;
    unsigned cnt[256] = {0};
    for (size_t i = 0; i < n; i++)
        cnt[p[i]]++;
    double h = 0.0;
    for (int i = 0; i < 256; i++) {
        if (!cnt[i])
            continue;
        double q = (double)cnt[i] / (double)n;
        h -= q * lg2(q);
    }
    return h;
}
