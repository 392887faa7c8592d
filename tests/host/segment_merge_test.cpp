// Receive-side TCP segment merging (kernel/net/segment_merge.*): which
// frames merge, and that the merged segment's lengths and checksums are
// right, checked with a checksum computed here byte by byte.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "kernel/net/segment_merge.h"

namespace {

using akuma::net::MergeableSegment;
using akuma::net::SegmentMerge;

using Frame = std::vector<uint8_t>;

// RFC 1071 on big-endian words, complemented: the value a checksum field
// holds (in network order).
uint16_t reference_sum(const uint8_t* data, size_t length, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < length; i += 2)
        sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (length & 1)
        sum += static_cast<uint32_t>(data[length - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

uint16_t be16(const uint8_t* at) { return static_cast<uint16_t>(at[0] << 8 | at[1]); }
void put16(uint8_t* at, uint32_t value) {
    at[0] = static_cast<uint8_t>(value >> 8);
    at[1] = static_cast<uint8_t>(value);
}
void put32(uint8_t* at, uint32_t value) {
    put16(at, value >> 16);
    put16(at + 2, value);
}

// The sum over the TCP pseudo-header and segment that a receiver checks:
// 0xffff when the segment's checksum is right.
uint16_t tcp_check(const uint8_t* ip, size_t segment_bytes) {
    uint8_t pseudo[12] = {};
    for (int i = 0; i < 8; ++i)
        pseudo[i] = ip[12 + i];
    pseudo[9] = 6;
    put16(pseudo + 10, static_cast<uint32_t>(segment_bytes));
    return reference_sum(ip + 20, segment_bytes, reference_sum(pseudo, sizeof pseudo));
}

struct FrameSpec {
    uint32_t sequence = 1000;
    std::vector<uint8_t> payload;
    uint8_t flags = 0x10;  // ACK
    uint32_t ack = 77;
    uint16_t window = 512;
    std::vector<uint8_t> options;  // a multiple of 4 bytes
    uint16_t source_port = 5001;
    uint8_t ttl = 64;
    size_t padding = 0;
};

Frame make_frame(const FrameSpec& spec) {
    size_t tcp_bytes = 20 + spec.options.size();
    size_t total = 20 + tcp_bytes + spec.payload.size();
    Frame frame(14 + total + spec.padding, 0);
    for (int i = 0; i < 6; ++i) {
        frame[i] = static_cast<uint8_t>(0x52 + i);
        frame[6 + i] = static_cast<uint8_t>(0x02 + i);
    }
    put16(&frame[12], 0x0800);
    uint8_t* ip = &frame[14];
    ip[0] = 0x45;
    put16(ip + 2, static_cast<uint32_t>(total));
    put16(ip + 4, 0x1234);
    put16(ip + 6, 0x4000);  // DF
    ip[8] = spec.ttl;
    ip[9] = 6;
    const uint8_t addresses[8] = { 10, 0, 2, 2, 10, 0, 2, 15 };
    for (int i = 0; i < 8; ++i)
        ip[12 + i] = addresses[i];
    put16(ip + 10, static_cast<uint16_t>(~reference_sum(ip, 20)));
    uint8_t* tcp = ip + 20;
    put16(tcp, spec.source_port);
    put16(tcp + 2, 22);
    put32(tcp + 4, spec.sequence);
    put32(tcp + 8, spec.ack);
    tcp[12] = static_cast<uint8_t>(tcp_bytes / 4 << 4);
    tcp[13] = spec.flags;
    put16(tcp + 14, spec.window);
    for (size_t i = 0; i < spec.options.size(); ++i)
        tcp[20 + i] = spec.options[i];
    for (size_t i = 0; i < spec.payload.size(); ++i)
        tcp[tcp_bytes + i] = spec.payload[i];
    put16(tcp + 16, static_cast<uint16_t>(~tcp_check(ip, tcp_bytes + spec.payload.size())));
    EXPECT_EQ(tcp_check(ip, tcp_bytes + spec.payload.size()), 0xffff);
    return frame;
}

std::vector<uint8_t> random_bytes(size_t count, uint32_t seed) {
    std::mt19937 random(seed);
    std::vector<uint8_t> bytes(count);
    for (auto& byte : bytes)
        byte = static_cast<uint8_t>(random());
    return bytes;
}

std::optional<MergeableSegment> parse(const Frame& frame) {
    return akuma::net::parse_mergeable_segment(frame.data(), frame.size());
}

// Merges the frames as the driver does and returns the merged frame as
// lwIP sees it: the first frame's (rewritten) headers and every payload.
std::optional<Frame> merge_all(std::vector<Frame> frames) {
    auto first = parse(frames[0]);
    if (!first)
        return std::nullopt;
    SegmentMerge merge = akuma::net::start_merge(*first);
    Frame merged(frames[0].begin(), frames[0].begin() + first->header_bytes + first->payload_bytes);
    for (size_t i = 1; i < frames.size(); ++i) {
        auto next = parse(frames[i]);
        if (!next || !akuma::net::continues_merge(frames[0].data(), merge, frames[i].data(), *next))
            return std::nullopt;
        akuma::net::append_to_merge(merge, *next);
        merged.insert(merged.end(), frames[i].begin() + next->header_bytes,
                      frames[i].begin() + next->header_bytes + next->payload_bytes);
    }
    akuma::net::finish_merge(frames[0].data(), merge);
    std::copy(frames[0].begin(), frames[0].begin() + first->header_bytes, merged.begin());
    return merged;
}

std::vector<Frame> burst(size_t count, size_t payload_bytes, uint32_t first_sequence = 1000) {
    std::vector<Frame> frames;
    for (size_t i = 0; i < count; ++i) {
        FrameSpec spec;
        spec.sequence = static_cast<uint32_t>(first_sequence + i * payload_bytes);
        spec.payload = random_bytes(payload_bytes, static_cast<uint32_t>(i + 1));
        frames.push_back(make_frame(spec));
    }
    return frames;
}

TEST(SegmentMergeTest, ParsesAnAckSegment) {
    FrameSpec spec;
    spec.payload = random_bytes(1460, 5);
    spec.options = { 1, 1, 1, 1 };
    spec.padding = 0;
    auto segment = parse(make_frame(spec));
    ASSERT_TRUE(segment);
    EXPECT_EQ(segment->header_bytes, 14 + 20 + 24);
    EXPECT_EQ(segment->payload_bytes, 1460);
    EXPECT_EQ(segment->sequence, 1000u);
    EXPECT_FALSE(segment->push);
    spec.flags = 0x18;  // ACK|PSH
    spec.padding = 6;   // Ethernet padding after the datagram
    segment = parse(make_frame(spec));
    ASSERT_TRUE(segment);
    EXPECT_TRUE(segment->push);
    EXPECT_EQ(segment->payload_bytes, 1460);
}

TEST(SegmentMergeTest, MergedSegmentHasRightLengthsAndChecksums) {
    auto frames = burst(8, 1460);
    // The last one pushes, as at the end of a write.
    FrameSpec last;
    last.sequence = 1000 + 8 * 1460;
    last.payload = random_bytes(333, 99);
    last.flags = 0x18;
    frames.push_back(make_frame(last));
    std::vector<uint8_t> payloads;
    for (auto& frame : frames)
        payloads.insert(payloads.end(), frame.begin() + 54, frame.end());
    auto merged = merge_all(frames);
    ASSERT_TRUE(merged);
    const uint8_t* ip = merged->data() + 14;
    ASSERT_EQ(be16(ip + 2), 20 + 20 + payloads.size());
    EXPECT_EQ(merged->size(), 14u + be16(ip + 2));
    EXPECT_EQ(reference_sum(ip, 20), 0xffff);  // the IP header checksum
    EXPECT_EQ(tcp_check(ip, 20 + payloads.size()), 0xffff);
    EXPECT_EQ(ip[20 + 13], 0x18);  // PSH from the last frame
    EXPECT_TRUE(std::equal(payloads.begin(), payloads.end(), merged->begin() + 54));
}

TEST(SegmentMergeTest, DamagedSegmentMakesTheMergedChecksumFail) {
    for (size_t damaged = 0; damaged < 4; ++damaged) {
        auto frames = burst(4, 1000);
        frames[damaged][54 + 17] ^= 0x40;  // a payload byte, after its checksum was made
        auto merged = merge_all(frames);
        ASSERT_TRUE(merged);
        EXPECT_NE(tcp_check(merged->data() + 14, merged->size() - 34), 0xffff) << "damaged frame " << damaged;
    }
}

TEST(SegmentMergeTest, RefusesFramesThatAreNotPlainDataSegments) {
    FrameSpec spec;
    spec.payload = random_bytes(30, 3);
    auto base = make_frame(spec);
    ASSERT_TRUE(parse(base));
    for (uint8_t flags : { 0x11, 0x12, 0x14, 0x30, 0x50, 0x90, 0x02, 0x00 }) {
        FrameSpec other = spec;
        other.flags = flags;
        EXPECT_FALSE(parse(make_frame(other))) << "flags " << int(flags);
    }
    FrameSpec empty = spec;
    empty.payload.clear();
    EXPECT_FALSE(parse(make_frame(empty)));  // a pure ACK goes up alone
    auto edit = [&](size_t at, uint8_t value) {
        Frame frame = base;
        frame[at] = value;
        return parse(frame);
    };
    EXPECT_FALSE(edit(12, 0x86));      // not IPv4
    EXPECT_FALSE(edit(14, 0x46));      // IP options
    EXPECT_FALSE(edit(14 + 6, 0x20));  // more fragments
    EXPECT_FALSE(edit(14 + 7, 0x01));  // a fragment offset
    EXPECT_FALSE(edit(14 + 9, 17));    // UDP
    EXPECT_FALSE(edit(34 + 12, 0x40)); // TCP header shorter than 20 bytes
    EXPECT_FALSE(edit(34 + 12, 0x51)); // a reserved bit
    EXPECT_FALSE(edit(34 + 12, 0xf0)); // TCP header past the datagram
    // Datagram longer than the frame; frames too short for the headers.
    EXPECT_FALSE(edit(14 + 3, static_cast<uint8_t>(base[14 + 3] + 1)));
    for (size_t length = 0; length < 54; ++length)
        EXPECT_FALSE(akuma::net::parse_mergeable_segment(base.data(), length));
    EXPECT_FALSE(akuma::net::parse_mergeable_segment(base.data(), base.size() - 1));
}

TEST(SegmentMergeTest, OnlyInOrderSegmentsOfTheSameConnectionAndHeadersContinue) {
    FrameSpec first;
    first.payload = random_bytes(1460, 1);
    first.options = { 1, 1, 8, 10 };
    auto first_frame = make_frame(first);
    auto merge = akuma::net::start_merge(*parse(first_frame));
    auto continues = [&](FrameSpec next) {
        auto frame = make_frame(next);
        auto segment = parse(frame);
        return segment && akuma::net::continues_merge(first_frame.data(), merge, frame.data(), *segment);
    };
    FrameSpec next = first;
    next.sequence = first.sequence + 1460;
    next.payload = random_bytes(1460, 2);
    EXPECT_TRUE(continues(next));
    FrameSpec changed = next;
    changed.sequence += 1;
    EXPECT_FALSE(continues(changed));  // a gap
    changed = next;
    changed.sequence = first.sequence;
    EXPECT_FALSE(continues(changed));  // a repeat
    changed = next;
    changed.ack += 1;
    EXPECT_FALSE(continues(changed));
    changed = next;
    changed.window += 1;
    EXPECT_FALSE(continues(changed));
    changed = next;
    changed.source_port += 1;
    EXPECT_FALSE(continues(changed));
    changed = next;
    changed.options = { 1, 1, 8, 11 };
    EXPECT_FALSE(continues(changed));
    changed = next;
    changed.options = { 1, 1, 8, 10, 1, 1, 1, 1 };
    EXPECT_FALSE(continues(changed));
    changed = next;
    changed.ttl = 63;
    EXPECT_FALSE(continues(changed));
    changed = next;
    changed.flags = 0x18;
    EXPECT_TRUE(continues(changed));  // PSH may end a merge...
    akuma::net::append_to_merge(merge, *parse(make_frame(changed)));
    next.sequence += 1460;
    EXPECT_FALSE(continues(next));  // ...and nothing comes after it
}

TEST(SegmentMergeTest, StopsAfterAnOddPayloadAndBelowSixtyFourKilobytes) {
    FrameSpec odd;
    odd.payload = random_bytes(1001, 1);
    auto odd_frame = make_frame(odd);
    auto merge = akuma::net::start_merge(*parse(odd_frame));
    FrameSpec next = odd;
    next.sequence += 1001;
    auto next_frame = make_frame(next);
    EXPECT_FALSE(akuma::net::continues_merge(odd_frame.data(), merge, next_frame.data(), *parse(next_frame)));

    auto frames = burst(46, 1460);
    auto big = akuma::net::start_merge(*parse(frames[0]));
    size_t merged = 1;
    for (; merged < frames.size(); ++merged) {
        auto segment = parse(frames[merged]);
        if (!akuma::net::continues_merge(frames[0].data(), big, frames[merged].data(), *segment))
            break;
        akuma::net::append_to_merge(big, *segment);
    }
    EXPECT_EQ(merged, 44u);  // 54 + 44 * 1460 = 64,294 bytes; one more passes 65,535
    EXPECT_LE(54u + big.payload_bytes, 0xffffu);
}

TEST(SegmentMergeTest, SequenceNumbersWrap) {
    auto frames = burst(3, 1460, 0xffffffffu - 2000);
    auto merged = merge_all(frames);
    ASSERT_TRUE(merged);
    EXPECT_EQ(tcp_check(merged->data() + 14, merged->size() - 34), 0xffff);
}

}  // namespace
