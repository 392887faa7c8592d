// The hardware-independent parts of System V IPC: msgrcv's choice of
// message (kernel/ipc/msg_select.h) and semop's all-or-nothing step
// (kernel/ipc/sem_apply.h), against what Linux 6.1 does.
#include <gtest/gtest.h>

#include <vector>

#include "kernel/ipc/msg_select.h"
#include "kernel/ipc/sem_apply.h"

namespace akuma::ipc {
namespace {

struct FakeMessage {
    int64_t type;
};

// The position of the chosen message in `types`, -1 for none.
int select(const std::vector<FakeMessage>& queue, int64_t msgtyp, uint32_t flags) {
    if (queue.empty())
        return -1;
    const FakeMessage* first = queue.data();
    const FakeMessage* last = queue.data() + queue.size() - 1;
    auto next = [last](const FakeMessage* m) { return m == last ? nullptr : m + 1; };
    const FakeMessage* found = select_message(first, next, msgtyp, flags);
    return found ? static_cast<int>(found - first) : -1;
}

TEST(SysvMsgSelect, TypeZeroTakesTheFirst) {
    EXPECT_EQ(select({ { 3 }, { 1 } }, 0, 0), 0);
    EXPECT_EQ(select({}, 0, 0), -1);
}

TEST(SysvMsgSelect, PositiveTypeMatchesOrExcepts) {
    std::vector<FakeMessage> queue { { 3 }, { 1 }, { 2 }, { 1 } };
    EXPECT_EQ(select(queue, 1, 0), 1);
    EXPECT_EQ(select(queue, 2, 0), 2);
    EXPECT_EQ(select(queue, 7, 0), -1);
    EXPECT_EQ(select(queue, 3, k_msg_except), 1);
    EXPECT_EQ(select({ { 3 }, { 3 } }, 3, k_msg_except), -1);
}

TEST(SysvMsgSelect, NegativeTypeTakesTheFirstOfTheLowest) {
    std::vector<FakeMessage> queue { { 3 }, { 2 }, { 1 }, { 1 }, { 5 } };
    EXPECT_EQ(select(queue, -2, 0), 2);
    EXPECT_EQ(select(queue, -1, 0), 2);
    EXPECT_EQ(select({ { 4 }, { 3 }, { 3 } }, -3, 0), 1);
    EXPECT_EQ(select({ { 4 }, { 5 } }, -3, 0), -1);
    EXPECT_EQ(select({ { INT64_MAX } }, INT64_MIN, 0), 0);
}

TEST(SysvMsgSelect, CopyTakesByPosition) {
    std::vector<FakeMessage> queue { { 3 }, { 2 }, { 1 } };
    EXPECT_EQ(select(queue, 0, k_msg_copy | k_ipc_nowait), 0);
    EXPECT_EQ(select(queue, 2, k_msg_copy | k_ipc_nowait), 2);
    EXPECT_EQ(select(queue, 3, k_msg_copy | k_ipc_nowait), -1);
    EXPECT_EQ(select(queue, -1, k_msg_copy | k_ipc_nowait), -1);
}

TEST(SysvSemApply, AllOrNothing) {
    int32_t values[3] = { 1, 2, 3 };
    SemBuf ops[] = { { 0, 5, 0 }, { 1, -3, 0 } };
    SemResult result = apply_semaphore_operations(values, nullptr, ops, 2);
    EXPECT_EQ(result.outcome, SemOutcome::WouldBlock);
    EXPECT_EQ(result.blocking, 1u);
    EXPECT_EQ(values[0], 1);
    EXPECT_EQ(values[1], 2);
    ops[1].sem_flg = k_ipc_nowait;
    EXPECT_EQ(apply_semaphore_operations(values, nullptr, ops, 2).outcome, SemOutcome::TryAgain);
    ops[1].sem_op = -2;
    EXPECT_EQ(apply_semaphore_operations(values, nullptr, ops, 2).outcome, SemOutcome::Done);
    EXPECT_EQ(values[0], 6);
    EXPECT_EQ(values[1], 0);
}

TEST(SysvSemApply, WaitForZeroAndRepeats) {
    int32_t values[2] = { 0, 1 };
    SemBuf zero[] = { { 1, 0, 0 } };
    EXPECT_EQ(apply_semaphore_operations(values, nullptr, zero, 1).outcome, SemOutcome::WouldBlock);
    // The same semaphore twice: the second sees the first's result.
    SemBuf twice[] = { { 1, -1, 0 }, { 1, 0, 0 }, { 1, 4, 0 } };
    EXPECT_EQ(apply_semaphore_operations(values, nullptr, twice, 3).outcome, SemOutcome::Done);
    EXPECT_EQ(values[1], 4);
}

TEST(SysvSemApply, RangesAndUndo) {
    int32_t values[2] = { k_semvmx, 0 };
    int16_t adjustments[2] = { 0, 0 };
    SemBuf over[] = { { 1, 1, k_sem_undo }, { 0, 1, 0 } };
    EXPECT_EQ(apply_semaphore_operations(values, adjustments, over, 2).outcome, SemOutcome::OutOfRange);
    EXPECT_EQ(values[1], 0);
    EXPECT_EQ(adjustments[1], 0);  // undone with the value
    SemBuf up[] = { { 1, 3, k_sem_undo } };
    EXPECT_EQ(apply_semaphore_operations(values, adjustments, up, 1).outcome, SemOutcome::Done);
    EXPECT_EQ(adjustments[1], -3);
    // An adjustment past -SEMAEM-1 is ERANGE even when the value fits.
    values[0] = 0;
    adjustments[0] = -32766;
    SemBuf big[] = { { 0, 3, k_sem_undo } };
    EXPECT_EQ(apply_semaphore_operations(values, adjustments, big, 1).outcome, SemOutcome::OutOfRange);
    EXPECT_EQ(values[0], 0);
}

}  // namespace
}  // namespace akuma::ipc
