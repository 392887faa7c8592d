// Feeds arbitrary bytes as two received frames (the first byte picks where
// the input splits) to the receive-side segment merging: parse both, merge
// the second into the first where allowed, rewrite the merged headers.
// Each frame is a heap copy of exactly its bytes, so ASan catches any read
// past a frame; a merged frame's lengths must stay inside lwIP's limits.
#include "kernel/net/segment_merge.h"

#include <cstdlib>
#include <cstring>

using namespace akuma::net;

namespace {

uint8_t* copy_of(const uint8_t* data, size_t size) {
    auto* copy = static_cast<uint8_t*>(std::malloc(size ? size : 1));
    if (size)
        std::memcpy(copy, data, size);
    return copy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    size_t split = 1 + (size_t { data[0] } * 8) % size;
    uint8_t* first = copy_of(data + 1, split - 1);
    uint8_t* second = copy_of(data + split, size - split);
    size_t first_size = split - 1, second_size = size - split;
    auto first_segment = parse_mergeable_segment(first, first_size);
    auto second_segment = parse_mergeable_segment(second, second_size);
    if (first_segment) {
        if (first_segment->header_bytes + first_segment->payload_bytes > first_size)
            std::abort();
        SegmentMerge merge = start_merge(*first_segment);
        if (second_segment) {
            if (second_segment->header_bytes + second_segment->payload_bytes > second_size)
                std::abort();
            if (continues_merge(first, merge, second, *second_segment))
                append_to_merge(merge, *second_segment);
        }
        if (merge.first.header_bytes + merge.payload_bytes > 0xffff)
            std::abort();
        finish_merge(first, merge);
    }
    std::free(first);
    std::free(second);
    return 0;
}
