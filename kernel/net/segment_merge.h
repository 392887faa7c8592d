// Receive-side merging of TCP segments (what Linux calls GRO): consecutive
// in-order segments of one connection that the device hands over in one
// batch go up to lwIP as one larger segment. lwIP acknowledges every
// second segment it receives, so QEMU's user network, sending a burst of
// 1,460-byte segments, got an ACK for every ~1.7 (each one a transmit
// through the device and a trip through QEMU's TCP); Linux's GRO sends one
// for ~36. lwIP also runs its input path once per merged segment.
//
// The merged segment's TCP checksum is computed from the headers alone: a
// segment whose checksum is right has a payload whose one's-complement
// sum is the complement of its pseudo-header's and header's, so the
// payloads' sums add up without reading a payload byte. lwIP still checks
// the merged segment's checksum over all its bytes: a damaged segment
// among those merged makes it fail, and the whole merged segment is
// dropped (the sender resends it), as Linux would drop the damaged one.
//
// Works on Ethernet frames as bytes (no lwIP types): hardware-independent,
// host-tested, fuzzed (its input comes from the network).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace akuma::net {

// One frame that may take part in a merge: IPv4 without options or
// fragmentation carrying TCP with the ACK flag, possibly PSH, and no other
// flag, and a payload.
struct MergeableSegment {
    uint16_t header_bytes;   // Ethernet, IP and TCP headers: where the payload starts
    uint16_t payload_bytes;
    uint32_t sequence;       // host order
    uint16_t payload_sum;    // one's-complement sum of the payload (as internet_checksum gives it)
    bool push;
};

// The frame's merge description, or nullopt if it cannot be merged (any
// other kind of frame, or one whose lengths do not add up).
std::optional<MergeableSegment> parse_mergeable_segment(const uint8_t* frame, size_t length);

// A merge in progress: the first frame's description, and what the frames
// appended to it add.
struct SegmentMerge {
    MergeableSegment first;
    uint32_t payload_bytes;  // all the frames' payloads
    uint16_t payload_sum;    // their sums, added
    bool push;
    uint32_t frames;
};

SegmentMerge start_merge(const MergeableSegment& first);

// Whether `next` (of `next_frame`) continues the merge of `first_frame`:
// the same addresses, ports, acknowledgement, window and options, its
// sequence number right after the payload so far, the payload so far of
// even length (an odd one would shift the next payload's byte pairs), no
// PSH before it, and the merged frame within lwIP's 16-bit lengths.
bool continues_merge(const uint8_t* first_frame, const SegmentMerge& merge, const uint8_t* next_frame,
                     const MergeableSegment& next);

void append_to_merge(SegmentMerge& merge, const MergeableSegment& next);

// Rewrites the first frame's IP and TCP headers for the merged segment:
// the IP total length and header checksum, PSH if any frame had it, and
// the TCP checksum of the whole. Nothing to do for a single frame.
void finish_merge(uint8_t* first_frame, const SegmentMerge& merge);

}  // namespace akuma::net
