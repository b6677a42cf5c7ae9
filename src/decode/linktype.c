/* linktype.c - which link types the decoder understands, and their names. */
#include "decode/decode.h"

struct lt_name {
    int v;
    const char *name;
};

/* DLT values as libpcap returns them on this platform, plus the LINKTYPE_
 * values that may reach us unmapped (101 raw). */
static const struct lt_name lt_names[] = {
    {0, "NULL"},          {1, "EN10MB"},         {12, "RAW"},
    {14, "RAW"},          {101, "RAW"},          {108, "LOOP"},
    {113, "LINUX_SLL"},   {228, "IPV4"},         {229, "IPV6"},
    {276, "LINUX_SLL2"},
    /* common but not decoded: named for messages */
    {9, "PPP"},           {50, "PPP_SERIAL"},    {105, "IEEE802_11"},
    {127, "IEEE802_11_RADIO"}, {192, "PPI"},     {220, "USB_LINUX_MMAPPED"},
    {239, "NFLOG"},       {252, "WIRESHARK_UPPER_PDU"},
};

int tr_decode_linktype_ok(int linktype)
{
    switch (linktype) {
    case 0: case 1: case 12: case 14: case 101: case 108:
    case 113: case 228: case 229: case 276:
        return 1;
    default:
        return 0;
    }
}

const char *tr_decode_linktype_name(int linktype)
{
    for (size_t i = 0; i < sizeof lt_names / sizeof lt_names[0]; i++)
        if (lt_names[i].v == linktype)
            return lt_names[i].name;
    return "UNKNOWN";
}
