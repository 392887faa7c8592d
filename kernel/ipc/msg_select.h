// msgrcv's choice of message (Linux's convert_mode and find_msg), apart
// from the queue it walks so that host tests can check it: msgtyp 0 takes
// the first message; > 0 the first of that type (MSG_EXCEPT: of any other
// type); < 0 the first of the lowest type not above |msgtyp|; MSG_COPY
// takes the message at position msgtyp (no message for a negative one).
#pragma once

#include <cstdint>

#include "kernel/ipc/ipc_abi.h"

namespace akuma::ipc {

// `first` is the queue's head, `next(m)` the message after m (nullptr at
// the end); T has an int64_t `type`. Returns nullptr if none matches.
template <typename T, typename Next>
T* select_message(T* first, Next&& next, int64_t msgtyp, uint32_t flags) {
    if (flags & k_msg_copy) {
        int64_t position = 0;
        for (T* message = first; message; message = next(message), ++position) {
            if (position == msgtyp)
                return message;
        }
        return nullptr;
    }
    if (msgtyp == 0)
        return first;
    if (msgtyp > 0) {
        bool except = flags & k_msg_except;
        for (T* message = first; message; message = next(message)) {
            if ((message->type == msgtyp) != except)
                return message;
        }
        return nullptr;
    }
    // The lowest type not above the bound; the first one of it. (|INT64_MIN|
    // does not fit: every type is below it.)
    int64_t bound = msgtyp == INT64_MIN ? INT64_MAX : -msgtyp;
    T* found = nullptr;
    for (T* message = first; message; message = next(message)) {
        if (message->type <= bound && (!found || message->type < found->type))
            found = message;
    }
    return found;
}

}  // namespace akuma::ipc
