#include "kernel/net/segment_merge.h"

#include "kernel/net/checksum.h"

namespace akuma::net {

namespace {

constexpr size_t k_ethernet_bytes = 14;
constexpr size_t k_ip_bytes = 20;  // no options: anything else is not merged
constexpr size_t k_tcp_min_bytes = 20;
constexpr uint16_t k_ethertype_ipv4 = 0x0800;
constexpr uint8_t k_protocol_tcp = 6;
constexpr uint16_t k_more_fragments_and_offset = 0x3fff;
constexpr uint8_t k_flag_push = 0x08;
constexpr uint8_t k_flag_ack = 0x10;
constexpr size_t k_max_frame_bytes = 0xffff;  // lwIP's pbuf lengths are 16-bit

// Offsets in the frame.
constexpr size_t k_ip = k_ethernet_bytes;
constexpr size_t k_tcp = k_ip + k_ip_bytes;

uint16_t load_be16(const uint8_t* at) { return static_cast<uint16_t>(at[0] << 8 | at[1]); }
uint32_t load_be32(const uint8_t* at) {
    return uint32_t { at[0] } << 24 | uint32_t { at[1] } << 16 | uint32_t { at[2] } << 8 | at[3];
}
void store_be16(uint8_t* at, uint16_t value) {
    at[0] = static_cast<uint8_t>(value >> 8);
    at[1] = static_cast<uint8_t>(value);
}
// A checksum field holds the complement of the sum in the sum's own byte
// order (internet_checksum loads words natively, as lwIP does).
void store_checksum(uint8_t* at, uint16_t sum) {
    uint16_t field = static_cast<uint16_t>(~sum);
    __builtin_memcpy(at, &field, sizeof field);
}

uint16_t add(uint16_t a, uint16_t b) {
    uint32_t sum = uint32_t { a } + b;
    return static_cast<uint16_t>((sum & 0xffff) + (sum >> 16));
}

bool same_bytes(const uint8_t* a, const uint8_t* b, size_t count) { return __builtin_memcmp(a, b, count) == 0; }

// The sum of the IPv4 pseudo-header of a TCP segment of `tcp_bytes`.
uint16_t pseudo_header_sum(const uint8_t* frame, uint32_t tcp_bytes) {
    uint8_t pseudo[12];
    __builtin_memcpy(pseudo, frame + k_ip + 12, 8);  // source and destination
    pseudo[8] = 0;
    pseudo[9] = k_protocol_tcp;
    store_be16(pseudo + 10, static_cast<uint16_t>(tcp_bytes));
    return internet_checksum(pseudo, sizeof pseudo);
}

size_t tcp_header_bytes(const MergeableSegment& segment) { return segment.header_bytes - k_tcp; }

}  // namespace

std::optional<MergeableSegment> parse_mergeable_segment(const uint8_t* frame, size_t length) {
    if (length < k_tcp + k_tcp_min_bytes || load_be16(frame + 12) != k_ethertype_ipv4)
        return std::nullopt;
    const uint8_t* ip = frame + k_ip;
    uint16_t total = load_be16(ip + 2);
    // Version 4 without options, whole (not a fragment), TCP; the frame
    // may be longer than the datagram (Ethernet's padding), not shorter.
    if (ip[0] != 0x45 || (load_be16(ip + 6) & k_more_fragments_and_offset) || ip[9] != k_protocol_tcp ||
        total < k_ip_bytes + k_tcp_min_bytes || k_ip + total > length)
        return std::nullopt;
    const uint8_t* tcp = frame + k_tcp;
    size_t tcp_bytes = static_cast<size_t>(tcp[12] >> 4) * 4;
    // ACK, maybe PSH, nothing else (no SYN, FIN, RST, URG, ECN bits).
    if ((tcp[12] & 0x0f) || (tcp[13] & ~k_flag_push) != k_flag_ack || tcp_bytes < k_tcp_min_bytes ||
        k_ip_bytes + tcp_bytes >= total)
        return std::nullopt;
    uint16_t payload = static_cast<uint16_t>(total - k_ip_bytes - tcp_bytes);
    // A right checksum makes pseudo-header + header + payload sum to
    // all ones: the payload's sum is the complement of the other two.
    uint16_t headers_sum = add(pseudo_header_sum(frame, static_cast<uint32_t>(tcp_bytes + payload)),
                               internet_checksum(tcp, tcp_bytes));
    return MergeableSegment { static_cast<uint16_t>(k_tcp + tcp_bytes), payload, load_be32(tcp + 4),
                              static_cast<uint16_t>(~headers_sum), (tcp[13] & k_flag_push) != 0 };
}

SegmentMerge start_merge(const MergeableSegment& first) {
    return { first, first.payload_bytes, first.payload_sum, first.push, 1 };
}

bool continues_merge(const uint8_t* first_frame, const SegmentMerge& merge, const uint8_t* next_frame,
                     const MergeableSegment& next) {
    if (merge.push || (merge.payload_bytes & 1) || next.header_bytes != merge.first.header_bytes ||
        next.sequence != merge.first.sequence + merge.payload_bytes ||
        next.header_bytes + merge.payload_bytes + next.payload_bytes > k_max_frame_bytes)
        return false;
    const uint8_t* ip = first_frame + k_ip;
    const uint8_t* next_ip = next_frame + k_ip;
    const uint8_t* tcp = first_frame + k_tcp;
    const uint8_t* next_tcp = next_frame + k_tcp;
    // Ethernet header; type of service; DF; TTL; addresses; ports; the
    // acknowledgement; header length; window; options.
    return same_bytes(first_frame, next_frame, k_ethernet_bytes) && ip[1] == next_ip[1] &&
           same_bytes(ip + 6, next_ip + 6, 3) && same_bytes(ip + 12, next_ip + 12, 8) &&
           same_bytes(tcp, next_tcp, 4) && same_bytes(tcp + 8, next_tcp + 8, 5) &&
           same_bytes(tcp + 14, next_tcp + 14, 2) &&
           same_bytes(tcp + k_tcp_min_bytes, next_tcp + k_tcp_min_bytes,
                      tcp_header_bytes(merge.first) - k_tcp_min_bytes);
}

void append_to_merge(SegmentMerge& merge, const MergeableSegment& next) {
    merge.payload_bytes += next.payload_bytes;
    merge.payload_sum = add(merge.payload_sum, next.payload_sum);
    merge.push = merge.push || next.push;
    ++merge.frames;
}

void finish_merge(uint8_t* first_frame, const SegmentMerge& merge) {
    if (merge.frames == 1)
        return;
    uint8_t* ip = first_frame + k_ip;
    uint8_t* tcp = first_frame + k_tcp;
    size_t tcp_bytes = tcp_header_bytes(merge.first);
    store_be16(ip + 2, static_cast<uint16_t>(k_ip_bytes + tcp_bytes + merge.payload_bytes));
    store_be16(ip + 10, 0);
    store_checksum(ip + 10, internet_checksum(ip, k_ip_bytes));
    if (merge.push)
        tcp[13] |= k_flag_push;
    store_be16(tcp + 16, 0);
    uint16_t sum = add(add(pseudo_header_sum(first_frame, static_cast<uint32_t>(tcp_bytes + merge.payload_bytes)),
                           internet_checksum(tcp, tcp_bytes)),
                       merge.payload_sum);
    store_checksum(tcp + 16, sum);
}

}  // namespace akuma::net
