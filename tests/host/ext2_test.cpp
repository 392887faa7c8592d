// Host tests for ext2 (kernel/fs/ext2/): images made at test time by
// mke2fs -d from a staging tree, read back and compared with that tree;
// write workloads checked against a model and, after unmount, by the
// independent e2fsprogs tools (e2fsck -fn must find nothing; debugfs reads
// every byte back); full disks; targeted corruptions (made with debugfs
// -w or by hand), each an error and a log line, never a crash.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kernel/drivers/block_device.h"
#include "kernel/fs/ext2/ext2_file_system.h"
#include "tests/host/host_console.h"
#include "tests/host/host_kmalloc.h"

namespace akuma::fs {
namespace {

namespace stdfs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// A BlockDevice over an image file (pread/pwrite), counting writes.
class FileDevice final : public drivers::BlockDevice {
public:
    FileDevice(const std::string& path, bool read_only = false)
        : m_read_only(read_only) {
        m_fd = ::open(path.c_str(), read_only ? O_RDONLY : O_RDWR);
        EXPECT_GE(m_fd, 0) << path;
        struct stat st { };
        ::fstat(m_fd, &st);
        m_sectors = uint64_t(st.st_size) / drivers::k_sector_size;
    }
    ~FileDevice() override { ::close(m_fd); }
    std::string_view name() const override { return "test"; }
    uint64_t sector_count() const override { return m_sectors; }
    bool read_only() const override { return m_read_only; }
    ErrorOr<void> read_sectors(uint64_t first, std::span<uint8_t> buffer) override {
        if (buffer.size() % drivers::k_sector_size
            || first + buffer.size() / drivers::k_sector_size > m_sectors)
            return Error::OutOfRange;
        if (::pread(m_fd, buffer.data(), buffer.size(), off_t(first * drivers::k_sector_size))
            != ssize_t(buffer.size()))
            return Error::IoError;
        return {};
    }
    ErrorOr<void> write_sectors(uint64_t first, std::span<const uint8_t> data) override {
        if (m_read_only)
            return Error::ReadOnlyFs;
        if (data.size() % drivers::k_sector_size || first + data.size() / drivers::k_sector_size > m_sectors)
            return Error::OutOfRange;
        ++writes;
        if (::pwrite(m_fd, data.data(), data.size(), off_t(first * drivers::k_sector_size))
            != ssize_t(data.size()))
            return Error::IoError;
        return {};
    }
    // One request for the run, as virtio-blk sends it.
    ErrorOr<void> write_sectors_scattered(uint64_t first, std::span<const std::span<const uint8_t>> buffers) override {
        ++scattered_writes;
        uint64_t before = writes;
        auto result = BlockDevice::write_sectors_scattered(first, buffers);
        writes = before + 1;
        return result;
    }
    ErrorOr<void> flush() override { return {}; }
    uint64_t writes { 0 };  // requests
    uint64_t scattered_writes { 0 };

private:
    int m_fd { -1 };
    uint64_t m_sectors { 0 };
    bool m_read_only;
};

std::string run(const std::string& command, int* status = nullptr) {
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return output;
    char buffer[65536];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
        output.append(buffer, got);
    int result = ::pclose(pipe);
    if (status)
        *status = WIFEXITED(result) ? WEXITSTATUS(result) : -1;
    return output;
}

// debugfs -R "cat PATH": the file's bytes as e2fsprogs reads them.
std::string debugfs_cat(const std::string& image, const std::string& path) {
    std::string output;
    FILE* pipe = ::popen(("debugfs -R 'cat \"" + path + "\"' " + image + " 2>/dev/null").c_str(), "r");
    char buffer[65536];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
        output.append(buffer, got);
    ::pclose(pipe);
    return output;
}

std::string debugfs(const std::string& image, const std::string& request, bool write = false) {
    return run(std::string("debugfs ") + (write ? "-w " : "") + "-R '" + request + "' " + image);
}

int fsck(const std::string& image, std::string* output = nullptr) {
    int status = -1;
    std::string text = run("e2fsck -fn " + image, &status);
    if (output)
        *output = text;
    return status;
}

std::string random_bytes(size_t size, uint32_t seed) {
    std::mt19937 generator(seed);
    std::string bytes(size, '\0');
    for (auto& byte : bytes)
        byte = char(generator());
    return bytes;
}

std::span<const uint8_t> span_of(const std::string& text) {
    return { reinterpret_cast<const uint8_t*>(text.data()), text.size() };
}

void write_host_file(const stdfs::path& path, const std::string& contents) {
    std::ofstream out(path, std::ios::binary);
    out.write(contents.data(), std::streamsize(contents.size()));
}

std::string read_host_file(const stdfs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class Ext2Test : public ::testing::Test {
protected:
    void SetUp() override {
        m_baseline = test::host_kmalloc_live_objects();
        char pattern[] = "/tmp/akuma-ext2-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_staging = m_dir / "staging";
        m_image = (m_dir / "image").string();
        stdfs::create_directory(m_staging);
        int status = -1;
        run("mke2fs -V", &status);
        ASSERT_EQ(status, 0) << "e2fsprogs (mke2fs) is needed: ./akuma setup installs it";
    }

    void TearDown() override {
        m_root.reset();
        m_fs.reset();
        m_device.reset();
        EXPECT_EQ(test::host_kmalloc_live_objects(), m_baseline) << "leak";
        stdfs::remove_all(m_dir);
    }

    void make_image(uint32_t block_size, const std::string& size, const std::string& extra = "") {
        int status = -1;
        std::string output = run("mke2fs -q -F -t ext2 -b " + std::to_string(block_size) + " " + extra
                + " -d " + m_staging.string() + " " + m_image + " " + size,
            &status);
        ASSERT_EQ(status, 0) << output;
    }

    ErrorOr<void> mount(bool read_only = false) {
        m_device = std::make_unique<FileDevice>(m_image, false);
        auto fs = Ext2FileSystem::mount(*m_device, read_only, [] { return Timestamp { 1700000000, 5 }; });
        if (fs.is_error())
            return fs.error();
        m_fs = fs.release_value();
        m_root = m_fs->root();
        return {};
    }

    void unmount() {
        m_root.reset();
        if (m_fs) {
            EXPECT_FALSE(m_fs->in_use(0));
            auto done = m_fs->unmount();
            EXPECT_FALSE(done.is_error()) << error_name(done.error());
        }
        m_fs.reset();
        m_device.reset();
    }

    Ext2FileSystem& fs() { return *m_fs; }

    ErrorOr<InodeRef> resolve(const std::string& path) {
        InodeRef current = m_root;
        std::string_view rest = path;
        while (!rest.empty()) {
            while (!rest.empty() && rest.front() == '/')
                rest.remove_prefix(1);
            if (rest.empty())
                break;
            size_t slash = rest.find('/');
            std::string_view name = rest.substr(0, slash);
            rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
            current = TRY(fs().lookup(current, name));
        }
        return current;
    }

    InodeRef get(const std::string& path) {
        auto result = resolve(path);
        EXPECT_FALSE(result.is_error()) << path << ": " << error_name(result.error());
        return result.is_error() ? InodeRef() : result.release_value();
    }

    std::string contents(const InodeRef& inode) {
        std::string data(inode->size(), '\0');
        auto read = fs().read(inode, 0, { reinterpret_cast<uint8_t*>(data.data()), data.size() });
        EXPECT_FALSE(read.is_error()) << error_name(read.error());
        if (!read.is_error())
            EXPECT_EQ(read.value(), data.size());
        return data;
    }

    std::set<std::string> listing(const InodeRef& directory) {
        std::set<std::string> names;
        for (size_t index = 0;; ++index) {
            auto entry = fs().directory_entry(directory, index);
            EXPECT_FALSE(entry.is_error());
            if (entry.is_error() || !entry.value())
                break;
            names.insert(std::string(entry.value()->name));
        }
        return names;
    }

    // Compares the mounted file system with a host directory, recursively:
    // names, types, permissions, owners, sizes, link counts, times, bytes,
    // symlink targets, device numbers.
    void compare_tree(const stdfs::path& host, const std::string& path) {
        InodeRef directory = get(path);
        ASSERT_TRUE(directory);
        std::set<std::string> expected { ".", ".." };
        for (const auto& entry : stdfs::directory_iterator(host))
            expected.insert(entry.path().filename().string());
        if (path == "/")
            expected.insert("lost+found");
        EXPECT_EQ(listing(directory), expected) << path;
        for (const auto& entry : stdfs::directory_iterator(host)) {
            std::string child_path = (path == "/" ? "" : path) + "/" + entry.path().filename().string();
            struct stat st { };
            ASSERT_EQ(::lstat(entry.path().c_str(), &st), 0);
            InodeRef child = get(child_path);
            ASSERT_TRUE(child) << child_path;
            InodeStat mine = fs().stat(child);
            EXPECT_EQ(mine.mode, st.st_mode) << child_path;
            EXPECT_EQ(mine.uid, st.st_uid) << child_path;
            EXPECT_EQ(mine.gid, st.st_gid) << child_path;
            EXPECT_EQ(mine.nlink, st.st_nlink) << child_path;
            EXPECT_EQ(mine.mtime.seconds, st.st_mtim.tv_sec) << child_path;
            if (S_ISREG(st.st_mode)) {
                EXPECT_EQ(mine.size, uint64_t(st.st_size)) << child_path;
                if (st.st_size < (64 << 20))
                    EXPECT_EQ(contents(child), read_host_file(entry.path())) << child_path;
            } else if (S_ISLNK(st.st_mode)) {
                auto target = fs().readlink(child);
                ASSERT_FALSE(target.is_error());
                EXPECT_EQ(std::string(target.value()), stdfs::read_symlink(entry.path()).string())
                    << child_path;
            } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                EXPECT_EQ(child->rdev().major, major(st.st_rdev)) << child_path;
                EXPECT_EQ(child->rdev().minor, minor(st.st_rdev)) << child_path;
            } else if (S_ISDIR(st.st_mode)) {
                compare_tree(entry.path(), child_path);
            }
        }
    }

    // A staging tree with every kind of node mke2fs copies.
    void build_staging() {
        const stdfs::path& s = m_staging;
        stdfs::create_directories(s / "dir/sub/deeper");
        write_host_file(s / "empty", "");
        write_host_file(s / "small.txt", "hello, ext2\n");
        write_host_file(s / "dir/block_exact", random_bytes(4096, 1));
        write_host_file(s / "dir/sub/medium", random_bytes(70000, 2));
        // Past the 12 direct blocks and into double indirect with 1 KiB blocks.
        write_host_file(s / "dir/large", random_bytes(300 * 1024 + 17, 3));
        for (int i = 0; i < 120; ++i) // a directory of several blocks
            write_host_file(
                s / "dir/sub/deeper" / ("file-with-a-longish-name-" + std::to_string(i)), std::to_string(i));
        stdfs::create_symlink("small.txt", s / "fast_link");
        stdfs::create_symlink(std::string(200, 'x') + "/target", s / "slow_link");
        stdfs::create_hard_link(s / "small.txt", s / "dir/hard_link");
        ::chmod((s / "dir/block_exact").c_str(), 0640);
        ::chmod((s / "dir/sub").c_str(), 0711);
        // Sparse: data at 1 MiB and 10 MiB, holes between.
        {
            int fd = ::open((s / "sparse").c_str(), O_CREAT | O_WRONLY, 0644);
            std::string a = random_bytes(5000, 4), b = random_bytes(3000, 5);
            EXPECT_EQ(::pwrite(fd, a.data(), a.size(), 1 << 20), ssize_t(a.size()));
            EXPECT_EQ(::pwrite(fd, b.data(), b.size(), 10 << 20), ssize_t(b.size()));
            ::close(fd);
        }
        ::mkfifo((s / "fifo").c_str(), 0600);
        int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", (s / "socket").c_str());
        ::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::close(sock);
        if (::mknod((s / "char_dev").c_str(), S_IFCHR | 0620, makedev(1, 3)) == 0) {
            ::mknod((s / "block_dev").c_str(), S_IFBLK | 0660, makedev(259, 70000));
        }
    }

    size_t m_baseline { 0 };
    stdfs::path m_dir;
    stdfs::path m_staging;
    std::string m_image;
    std::unique_ptr<FileDevice> m_device;
    Ext2FileSystem::Pointer m_fs;
    InodeRef m_root;
};

// ---- Reading ----

class Ext2ReadTest : public Ext2Test, public ::testing::WithParamInterface<uint32_t> { };

TEST_P(Ext2ReadTest, ImageMatchesStagingTree) {
    build_staging();
    if (::geteuid() == 0)
        ::chown((m_staging / "small.txt").c_str(), 1234, 70000); // a gid above 16 bits
    make_image(GetParam(), "16M");
    ASSERT_FALSE(mount(true).is_error());
    compare_tree(m_staging, "/");
    // Sparse files take only their data blocks.
    InodeStat sparse = fs().stat(get("/sparse"));
    EXPECT_LT(sparse.blocks * 512, 64u * 1024);
    EXPECT_EQ(fs().statfs().magic, 0xEF53u);
    unmount();
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, Ext2ReadTest, ::testing::Values(1024u, 4096u));

TEST_F(Ext2Test, FileBeyondFourGiB) {
    uint64_t size = (5ull << 30) + 123;
    std::string tail = random_bytes(10000, 9);
    {
        int fd = ::open((m_staging / "big").c_str(), O_CREAT | O_WRONLY, 0644);
        ASSERT_EQ(::ftruncate(fd, off_t(size)), 0);
        ASSERT_EQ(::pwrite(fd, tail.data(), tail.size(), off_t(4ull << 30) + 4000), ssize_t(tail.size()));
        ::close(fd);
    }
    make_image(4096, "16M");
    ASSERT_FALSE(mount().is_error());
    InodeRef big = get("/big");
    EXPECT_EQ(big->size(), size);
    std::string back(tail.size() + 100, '\0');
    auto read = fs().read(big, (4ull << 30) + 3950, { reinterpret_cast<uint8_t*>(back.data()), back.size() });
    ASSERT_FALSE(read.is_error());
    EXPECT_EQ(back.substr(0, 50), std::string(50, '\0'));
    EXPECT_EQ(back.substr(50, tail.size()), tail);
    // Write past 4 GiB (into a hole) and check with e2fsprogs.
    std::string more = random_bytes(6000, 10);
    uint64_t where = (4ull << 30) + (300ull << 20) + 77;
    ASSERT_FALSE(fs().write(big, where, span_of(more)).is_error());
    big.reset();
    unmount();
    std::string report;
    EXPECT_EQ(fsck(m_image, &report), 0) << report;
    // Find the block through debugfs and compare the bytes on the image.
    std::string bmap = debugfs(m_image, "bmap /big " + std::to_string(where / 4096));
    uint64_t physical = std::stoull(bmap.substr(bmap.find_last_of('\n', bmap.size() - 2) + 1));
    std::ifstream image(m_image, std::ios::binary);
    image.seekg(std::streamoff(physical * 4096 + where % 4096));
    std::string on_disk(more.size() < 4096 - where % 4096 ? more.size() : 4096 - where % 4096, '\0');
    image.read(on_disk.data(), std::streamsize(on_disk.size()));
    EXPECT_EQ(on_disk, more.substr(0, on_disk.size()));
    EXPECT_NE(debugfs(m_image, "stat /big").find("Size: " + std::to_string(size)), std::string::npos);
}

// ---- Writing ----

// Applies the same changes to the ext2 image and to a host directory (the
// model), then checks the image with e2fsck and debugfs against the model.
class Ext2WriteTest : public Ext2Test, public ::testing::WithParamInterface<uint32_t> {
protected:
    stdfs::path model(const std::string& path) { return m_staging / path.substr(1); }

    void write_file(const std::string& path, uint64_t offset, const std::string& data) {
        InodeRef file = get(path);
        ASSERT_TRUE(file);
        auto written = fs().write(file, offset, span_of(data));
        ASSERT_FALSE(written.is_error()) << path << ": " << error_name(written.error());
        EXPECT_EQ(written.value(), data.size());
        int fd = ::open(model(path).c_str(), O_WRONLY);
        ASSERT_EQ(::pwrite(fd, data.data(), data.size(), off_t(offset)), ssize_t(data.size()));
        ::close(fd);
    }

    void create(const std::string& directory, const std::string& name) {
        auto made = fs().create_file(get(directory), name, 0644, 0, 0);
        ASSERT_FALSE(made.is_error()) << name << ": " << error_name(made.error());
        write_host_file(model(directory == "/" ? "/" + name : directory + "/" + name), "");
    }

    void truncate(const std::string& path, uint64_t size) {
        ASSERT_FALSE(fs().truncate(get(path), size).is_error());
        ASSERT_EQ(::truncate(model(path).c_str(), off_t(size)), 0);
    }

    // e2fsck finds nothing; every regular file's bytes, as debugfs reads
    // them, are the model's; rdump's tree has the model's names and links.
    void check_image() {
        std::string report;
        EXPECT_EQ(fsck(m_image, &report), 0) << report;
        for (const auto& entry : stdfs::recursive_directory_iterator(m_staging)) {
            if (entry.is_regular_file() && !entry.is_symlink()) {
                std::string path = "/" + entry.path().lexically_relative(m_staging).string();
                EXPECT_EQ(debugfs_cat(m_image, path), read_host_file(entry.path())) << path;
            }
        }
        stdfs::path dump = m_dir / "dump";
        stdfs::create_directory(dump);
        debugfs(m_image, "rdump / " + dump.string());
        for (const auto& entry : stdfs::recursive_directory_iterator(m_staging)) {
            stdfs::path relative = entry.path().lexically_relative(m_staging);
            stdfs::path dumped = dump / relative;
            if (entry.is_symlink()) {
                EXPECT_EQ(stdfs::read_symlink(dumped), stdfs::read_symlink(entry.path())) << relative;
            } else if (entry.is_directory()) {
                EXPECT_TRUE(stdfs::is_directory(dumped)) << relative;
            } else if (entry.is_regular_file()) {
                EXPECT_TRUE(stdfs::is_regular_file(dumped)) << relative;
            }
        }
        for (const auto& entry : stdfs::recursive_directory_iterator(dump)) {
            stdfs::path relative = entry.path().lexically_relative(dump);
            if (relative != "lost+found")
                EXPECT_TRUE(stdfs::exists(m_staging / relative) || stdfs::is_symlink(m_staging / relative))
                    << relative << " should not exist";
        }
        stdfs::remove_all(dump);
    }
};

TEST_P(Ext2WriteTest, WorkloadPassesFsckAndDebugfs) {
    build_staging();
    stdfs::remove(m_staging / "fifo");
    stdfs::remove(m_staging / "socket");
    make_image(GetParam(), "32M");
    ASSERT_FALSE(mount().is_error());

    // Creating and writing at random offsets (holes between), into direct,
    // indirect and double indirect blocks.
    create("/", "new");
    std::mt19937 generator(42);
    for (int i = 0; i < 40; ++i) {
        uint64_t offset = generator() % (3 << 20);
        write_file("/new", offset, random_bytes(1 + generator() % 9000, 100 + i));
    }
    write_file("/dir/large", 5, "overwritten in place");
    write_file("/small.txt", 12, "appended\n");
    // Truncating down (freeing indirect blocks) and up (a hole).
    create("/dir", "shrinking");
    write_file("/dir/shrinking", 0, random_bytes(2 << 20, 7));
    truncate("/dir/shrinking", 100000);
    truncate("/dir/shrinking", 300001);
    write_file("/dir/shrinking", 299990, "tail bytes");
    truncate("/dir/large", 0);
    write_file("/dir/large", 1000, "restart");

    // Directories: mkdir, many entries (new directory blocks), rmdir.
    ASSERT_FALSE(fs().mkdir(get("/"), "made", 0755, 1000, 1000).is_error());
    stdfs::create_directory(model("/made"));
    for (int i = 0; i < 200; ++i) {
        create("/made", "entry-" + std::to_string(i));
        if (i % 7 == 0)
            write_file("/made/entry-" + std::to_string(i), 0, std::to_string(i));
    }
    for (int i = 0; i < 200; i += 3) {
        ASSERT_FALSE(fs().unlink(get("/made"), "entry-" + std::to_string(i)).is_error());
        stdfs::remove(model("/made/entry-" + std::to_string(i)));
    }
    ASSERT_FALSE(fs().mkdir(get("/made"), "gone", 0700, 0, 0).is_error());
    EXPECT_EQ(fs().rmdir(get("/"), "made").error(), Error::NotEmpty);
    ASSERT_FALSE(fs().rmdir(get("/made"), "gone").is_error());
    EXPECT_EQ(fs().rmdir(get("/made"), "gone").error(), Error::NotFound);
    EXPECT_EQ(get("/made")->nlink(), 2u);

    // Symlinks, fast and slow; device nodes, a FIFO and a socket.
    ASSERT_FALSE(fs().symlink(get("/made"), "short", "../small.txt", 0, 0).is_error());
    stdfs::create_symlink("../small.txt", model("/made/short"));
    std::string long_target;
    for (int i = 0; i < 30; ++i)
        long_target += "component" + std::to_string(i) + "/";
    long_target += "end";
    ASSERT_FALSE(fs().symlink(get("/made"), "long", long_target, 0, 0).is_error());
    stdfs::create_symlink(long_target, model("/made/long"));
    ASSERT_FALSE(fs().mknod(get("/"), "tty", k_mode_char_device | 0600, { 4, 1 }, 0, 0).is_error());
    ASSERT_FALSE(fs().mknod(get("/"), "disk", k_mode_block_device | 0600, { 259, 70000 }, 0, 0).is_error());
    ASSERT_FALSE(fs().mknod(get("/"), "pipe", k_mode_fifo | 0600, {}, 0, 0).is_error());
    ASSERT_FALSE(fs().mknod(get("/"), "sock", k_mode_socket | 0600, {}, 0, 0).is_error());
    EXPECT_EQ(fs().mknod(get("/"), "tty", k_mode_char_device | 0600, { 4, 1 }, 0, 0).error(), Error::Exists);

    // Hard links and renames across directories, replacing a file and an
    // empty directory; a directory moved updates its "..".
    ASSERT_FALSE(fs().link(get("/made"), "linked", get("/new")).is_error());
    stdfs::create_hard_link(model("/new"), model("/made/linked"));
    EXPECT_EQ(get("/new")->nlink(), 2u);
    ASSERT_FALSE(fs().rename(get("/"), "new", get("/dir/sub"), "moved").is_error());
    stdfs::rename(model("/new"), model("/dir/sub/moved"));
    ASSERT_FALSE(fs().rename(get("/made"), "entry-1", get("/made"), "entry-2").is_error());
    stdfs::rename(model("/made/entry-1"), model("/made/entry-2"));
    ASSERT_FALSE(fs().mkdir(get("/"), "empty_target", 0755, 0, 0).is_error());
    stdfs::create_directory(model("/empty_target"));
    uint32_t root_links = get("/")->nlink();
    ASSERT_FALSE(fs().rename(get("/dir"), "sub", get("/"), "empty_target").is_error());
    stdfs::remove(model("/empty_target"));
    stdfs::rename(model("/dir/sub"), model("/empty_target"));
    EXPECT_EQ(get("/")->nlink(), root_links);
    EXPECT_EQ(fs().parent(get("/empty_target")).value(), get("/"));
    EXPECT_EQ(
        fs().rename(get("/"), "empty_target", get("/empty_target/deeper"), "x").error(), Error::Invalid);
    EXPECT_EQ(fs().rename(get("/"), "dir", get("/"), "small.txt").error(), Error::NotADirectory);
    EXPECT_EQ(fs().rename(get("/"), "small.txt", get("/"), "dir").error(), Error::IsADirectory);

    // Unlinked while referenced: still readable and writable, freed with
    // its last reference.
    {
        InodeRef open_file = get("/dir/block_exact");
        uint64_t free_before = fs().statfs().blocks_free;
        ASSERT_FALSE(fs().unlink(get("/dir"), "block_exact").is_error());
        stdfs::remove(model("/dir/block_exact"));
        EXPECT_EQ(fs().lookup(get("/dir"), "block_exact").error(), Error::NotFound);
        EXPECT_EQ(contents(open_file), random_bytes(4096, 1));
        ASSERT_FALSE(fs().write(open_file, 8192, span_of("more")).is_error());
        EXPECT_TRUE(fs().in_use(0));
        open_file.reset();
        EXPECT_FALSE(fs().sync_file_system().is_error());
        EXPECT_GT(fs().statfs().blocks_free, free_before);
    }
    // Attributes.
    fs().set_mode(get("/small.txt"), 0600);
    ::chmod(model("/small.txt").c_str(), 0600);
    fs().set_owner(get("/small.txt"), 70000, 80000);
    fs().set_times(get("/small.txt"), Timestamp { 1600000000, 123456789 }, Timestamp { 1500000000, 5 });
    unmount();

    check_image();
    std::string stat = debugfs(m_image, "stat /small.txt");
    EXPECT_NE(stat.find("User: 70000"), std::string::npos) << stat;
    EXPECT_NE(stat.find("Group: 80000"), std::string::npos) << stat;
    EXPECT_NE(stat.find("Mode:  0600"), std::string::npos) << stat;
    EXPECT_NE(debugfs(m_image, "stat /disk").find("Device major/minor number: 259:70000"), std::string::npos);
    EXPECT_NE(debugfs(m_image, "stat /tty").find("Device major/minor number: 04:01"), std::string::npos);
    EXPECT_NE(debugfs(m_image, "stat /pipe").find("Type: FIFO"), std::string::npos);
    EXPECT_NE(debugfs(m_image, "stat /sock").find("Type: socket"), std::string::npos);

    // Mounted again, the tree is the model's.
    ASSERT_FALSE(mount(true).is_error());
    InodeRef moved = get("/empty_target/moved");
    EXPECT_EQ(contents(moved), read_host_file(model("/empty_target/moved")));
    EXPECT_EQ(std::string(fs().readlink(get("/made/long")).value()), long_target);
    EXPECT_EQ(get("/disk")->rdev(), (DeviceNumber { 259, 70000 }));
    EXPECT_EQ(get("/sock")->type(), InodeType::Socket);
    EXPECT_EQ(fs().stat(get("/small.txt")).mtime, (Timestamp { 1500000000, 5 }));
    moved.reset();
    unmount();
}

INSTANTIATE_TEST_SUITE_P(BlockSizes, Ext2WriteTest, ::testing::Values(1024u, 4096u));

TEST_F(Ext2Test, SuperblockStateWhileMounted) {
    make_image(1024, "4M");
    auto read_state = [&] {
        std::ifstream image(m_image, std::ios::binary);
        ext2::Superblock superblock;
        image.seekg(1024);
        image.read(reinterpret_cast<char*>(&superblock), sizeof superblock);
        return superblock;
    };
    uint16_t mounts = read_state().mount_count;
    ASSERT_FALSE(mount().is_error());
    EXPECT_EQ(read_state().state & ext2::k_state_valid, 0);
    EXPECT_EQ(read_state().mount_count, mounts + 1);
    EXPECT_EQ(read_state().mount_time, 1700000000u);
    unmount();
    EXPECT_EQ(read_state().state & ext2::k_state_valid, ext2::k_state_valid);
    std::string report;
    EXPECT_EQ(fsck(m_image, &report), 0) << report;
}

TEST_F(Ext2Test, ReadOnlyMountWritesNothing) {
    build_staging();
    make_image(4096, "8M");
    std::string before = read_host_file(m_image);
    ASSERT_FALSE(mount(true).is_error());
    EXPECT_EQ(fs().create_file(m_root, "x", 0644, 0, 0).error(), Error::ReadOnlyFs);
    EXPECT_EQ(fs().write(get("/small.txt"), 0, span_of("x")).error(), Error::ReadOnlyFs);
    EXPECT_EQ(fs().unlink(m_root, "small.txt").error(), Error::ReadOnlyFs);
    EXPECT_EQ(fs().cache_page(get("/small.txt"), 0, true).error(), Error::ReadOnlyFs);
    EXPECT_FALSE(fs().cache_page(get("/small.txt"), 0, false).is_error());
    unmount();
    EXPECT_EQ(m_device, nullptr);
    EXPECT_TRUE(read_host_file(m_image) == before);
}

TEST_F(Ext2Test, FullDiskKeepsEarlierData) {
    make_image(1024, "1M");
    ASSERT_FALSE(mount().is_error());
    std::vector<std::string> written;
    Error last = Error::Invalid;
    for (int i = 0;; ++i) {
        std::string name = "f" + std::to_string(i);
        auto file = fs().create_file(m_root, name, 0644, 0, 0);
        if (file.is_error()) {
            last = file.error();
            break;
        }
        std::string data = random_bytes(50000, uint32_t(i));
        auto done = fs().write(file.value(), 0, span_of(data));
        if (done.is_error()) {
            last = done.error();
            break;
        }
        written.push_back(data.substr(0, done.value()));
        if (done.value() < data.size()) {
            auto again = fs().write(file.value(), done.value(), span_of(data.substr(done.value())));
            ASSERT_TRUE(again.is_error());
            last = again.error();
            break;
        }
    }
    EXPECT_EQ(last, Error::NoSpace);
    EXPECT_EQ(fs().statfs().blocks_free, 0u);
    ASSERT_GT(written.size(), 3u);
    EXPECT_EQ(fs().mkdir(m_root, "no_room_dir", 0755, 0, 0).error(), Error::NoSpace);
    // Freeing makes room again.
    ASSERT_FALSE(fs().unlink(m_root, "f0").is_error());
    ASSERT_FALSE(fs().create_file(m_root, "after", 0644, 0, 0).is_error());
    unmount();
    std::string report;
    EXPECT_EQ(fsck(m_image, &report), 0) << report;
    for (size_t i = 1; i < written.size(); ++i)
        EXPECT_EQ(debugfs_cat(m_image, "/f" + std::to_string(i)), written[i]) << i;
}

TEST_F(Ext2Test, SharedWritablePagesAreWrittenBack) {
    write_host_file(m_staging / "mapped", random_bytes(10000, 3));
    make_image(1024, "4M");
    ASSERT_FALSE(mount().is_error());
    InodeRef file = get("/mapped");
    ASSERT_FALSE(fs().truncate(file, 20000).is_error()); // page 4 is a hole now
    auto page = fs().cache_page(file, 1, false);
    ASSERT_FALSE(page.is_error());
    EXPECT_EQ(
        std::string(reinterpret_cast<char*>(page.value()), 100), random_bytes(10000, 3).substr(4096, 100));
    EXPECT_EQ(fs().cache_page(file, 5, false).error(), Error::OutOfRange);
    std::vector<uint8_t*> slots(100, nullptr);
    fs().cached_pages(file, 0, 100, slots.data());  // only page 1 is in the cache, and the file ends at page 5
    std::vector<std::pair<uint64_t, uint8_t*>> cached;
    for (uint64_t index = 0; index < slots.size(); ++index) {
        if (slots[index])
            cached.emplace_back(index, slots[index]);
    }
    ASSERT_EQ(cached.size(), 1u);
    EXPECT_EQ(cached[0].first, 1u);
    EXPECT_EQ(cached[0].second, page.value());
    // A write() keeps the cached page current.
    ASSERT_FALSE(fs().write(file, 4096, span_of("via write")).is_error());
    EXPECT_EQ(std::string(reinterpret_cast<char*>(page.value()), 9), "via write");
    auto shared = fs().cache_page(file, 4, true);
    ASSERT_FALSE(shared.is_error());
    std::memcpy(shared.value() + 100, "stored by a mapping", 19);
    EXPECT_FALSE(fs().sync(file).is_error());
    EXPECT_NE(debugfs_cat(m_image, "/mapped").find("stored by a mapping"), std::string::npos);
    std::memcpy(shared.value() + 200, "after the sync", 14);
    file.reset();
    unmount();
    std::string report;
    EXPECT_EQ(fsck(m_image, &report), 0) << report;
    std::string expected = random_bytes(10000, 3) + std::string(10000, '\0');
    expected.replace(4096, 9, "via write");
    expected.replace(4 * 4096 + 100, 19, "stored by a mapping");
    expected.replace(4 * 4096 + 200, 14, "after the sync");
    EXPECT_EQ(debugfs_cat(m_image, "/mapped"), expected);
}

TEST_F(Ext2Test, WritesWaitInThePageCacheUntilSync) {
    make_image(4096, "8M");
    ASSERT_FALSE(mount().is_error());
    auto& device = static_cast<FileDevice&>(*m_device);
    InodeRef file = fs().create_file(m_root, "data", 0644, 0, 0).release_value();
    std::string data = random_bytes(256 * 1024 + 1000, 7);
    uint64_t before = device.writes;
    for (size_t done = 0; done < data.size(); done += 32768) {
        auto written = fs().write(file, done, span_of(data.substr(done, 32768)));
        ASSERT_FALSE(written.is_error());
    }
    EXPECT_EQ(device.writes, before) << "write() must not go to the disk";
    EXPECT_EQ(fs().cache_pages().dirty, 65u);
    Bytes back(data.size());
    ASSERT_EQ(fs().read(file, 0, back).value(), data.size());
    EXPECT_EQ(std::string(back.begin(), back.end()), data);
    // fsync: 65 pages in consecutive blocks are 5 requests (16 pages each),
    // plus the metadata blocks and the superblock.
    ASSERT_FALSE(fs().sync(file).is_error());
    EXPECT_EQ(device.scattered_writes, 5u);
    EXPECT_LT(device.writes - before, 5u + 12u);
    EXPECT_EQ(fs().cache_pages().dirty, 0u);
    EXPECT_EQ(debugfs_cat(m_image, "/data"), data);
    // A second sync has nothing to write for the file.
    ASSERT_FALSE(fs().sync(file).is_error());
    EXPECT_EQ(device.scattered_writes, 5u);
    file.reset();
    unmount();
    std::string report;
    EXPECT_EQ(fsck(m_image, &report), 0) << report;
}

TEST_P(Ext2WriteTest, DirtyPagesFollowTruncationAndReleases) {
    make_image(GetParam(), "8M");
    ASSERT_FALSE(mount().is_error());
    // Held: without a reference an inode is released (and written back)
    // by the next call.
    create("/", "cut");
    InodeRef cut = get("/cut");
    write_file("/cut", 0, random_bytes(30000, 11));
    truncate("/cut", 5000);      // inside a dirty page: its tail is zeros on the disk too
    truncate("/cut", 20000);     // a hole after it
    write_file("/cut", 17000, "after the hole");
    // The same with the tail page cached and clean (written back).
    create("/", "cut_clean");
    InodeRef cut_clean = get("/cut_clean");
    write_file("/cut_clean", 0, random_bytes(30000, 15));
    ASSERT_FALSE(fs().sync(cut_clean).is_error());
    truncate("/cut_clean", 5000);
    truncate("/cut_clean", 9000);
    create("/", "released");
    write_file("/released", 3000, random_bytes(9000, 12));
    // Overwrite part of a page that is on the disk and not cached.
    create("/", "patched");
    write_file("/patched", 0, random_bytes(12000, 13));
    ASSERT_FALSE(fs().sync_file_system().is_error());
    EXPECT_EQ(fs().cache_pages().dirty, 0u);
    ASSERT_GT(fs().reclaim_clean_pages(), 0u);
    write_file("/patched", 4100, "in the middle of page one");
    // Deleted while dirty: nothing of it is written, its blocks are free.
    create("/", "gone");
    InodeRef gone = get("/gone");
    write_file("/gone", 0, random_bytes(40000, 14));
    ASSERT_FALSE(fs().unlink(m_root, "gone").is_error());
    stdfs::remove(model("/gone"));
    EXPECT_GE(fs().cache_pages().dirty, 10u);
    gone.reset();
    cut.reset();
    cut_clean.reset();
    unmount();  // writes back what is left
    check_image();
}

TEST_F(Ext2Test, DirtyLimitMakesTheWriterWriteBack) {
    make_image(4096, "64M");
    ASSERT_FALSE(mount().is_error());
    InodeRef file = fs().create_file(m_root, "big", 0644, 0, 0).release_value();
    std::string chunk = random_bytes(1 << 20, 21);
    for (uint64_t mib = 0; mib < 24; ++mib) {
        ASSERT_FALSE(fs().write(file, mib << 20, span_of(chunk)).is_error());
        EXPECT_LE(fs().cache_pages().dirty, 4096u + 256u) << mib;
    }
    EXPECT_GT(static_cast<FileDevice&>(*m_device).scattered_writes, 256u);
    file.reset();
    unmount();
    std::string report;
    EXPECT_EQ(fsck(m_image, &report), 0) << report;
    std::string expected;
    for (int i = 0; i < 24; ++i)
        expected += chunk;
    EXPECT_EQ(debugfs_cat(m_image, "/big"), expected);
}

TEST_F(Ext2Test, DirectoryListingIsStableAndComplete) {
    for (int i = 0; i < 500; ++i)
        write_host_file(m_staging / ("n" + std::to_string(i)), "");
    make_image(1024, "8M");
    ASSERT_FALSE(mount().is_error());
    auto names = listing(m_root);
    EXPECT_EQ(names.size(), 503u); // ., .., lost+found
    // Asking out of order gives the same entries.
    auto third = fs().directory_entry(m_root, 7);
    auto first = fs().directory_entry(m_root, 2);
    auto third_again = fs().directory_entry(m_root, 7);
    ASSERT_TRUE(third.value() && first.value() && third_again.value());
    EXPECT_EQ(third.value()->ino, third_again.value()->ino);
    unmount();
}

// ---- Refusals and corruptions ----

TEST_F(Ext2Test, RefusesUnknownFeatures) {
    make_image(1024, "4M", "-O extent");
    test::host_console_clear();
    EXPECT_EQ(mount(true).error(), Error::NotSupported);
    EXPECT_NE(test::host_console_output().find("ext4"), std::string::npos);
    make_image(1024, "4M");
    debugfs(m_image, "feature metadata_csum", true); // an unknown RO_COMPAT feature
    EXPECT_EQ(mount(false).error(), Error::ReadOnlyFs);
    EXPECT_FALSE(mount(true).is_error());
    unmount();
}

struct Corruption {
    const char* name;
    const char* debugfs_request; // made with debugfs -w
    bool at_mount; // the mount fails, else using the file does
};

class Ext2CorruptTest : public Ext2Test, public ::testing::WithParamInterface<Corruption> {
protected:
    bool uses_fail();
};

TEST_P(Ext2CorruptTest, ErrorNotCrash) {
    write_host_file(m_staging / "file", random_bytes(50000, 1));
    stdfs::create_directory(m_staging / "dir");
    write_host_file(m_staging / "dir/inner", "x");
    make_image(1024, "4M");
    std::string output;
    if (std::string_view(GetParam().debugfs_request) == "magic") {
        std::fstream image(m_image, std::ios::binary | std::ios::in | std::ios::out);
        image.seekp(1024 + 56); // s_magic
        image.write("\x34\x12", 2);
    } else {
        output = debugfs(m_image, GetParam().debugfs_request, true);
    }
    test::host_console_clear();
    auto mounted = mount(false);
    if (GetParam().at_mount) {
        ASSERT_TRUE(mounted.is_error());
        EXPECT_TRUE(mounted.error() == Error::Corrupted || mounted.error() == Error::Invalid)
            << error_name(mounted.error());
    } else {
        ASSERT_FALSE(mounted.is_error()) << output;
        EXPECT_TRUE(uses_fail()) << GetParam().name;
        unmount();
    }
    EXPECT_NE(test::host_console_output().find("[ext2]"), std::string::npos);
}

bool Ext2CorruptTest::uses_fail() {
    {
        bool failed = false;
        auto file = resolve("/file");
        if (file.is_error()) {
            failed = true;
            EXPECT_EQ(file.error(), Error::Corrupted);
        } else {
            std::string data(60000, '\0');
            auto read = fs().read(file.value(), 0, { reinterpret_cast<uint8_t*>(data.data()), data.size() });
            auto written = fs().write(file.value(), 100, span_of("abc"));
            auto truncated = fs().truncate(file.value(), 0);
            failed = read.is_error() || written.is_error() || truncated.is_error();
        }
        auto inner = resolve("/dir/inner");
        return failed || inner.is_error();
    }
}

INSTANTIATE_TEST_SUITE_P(Images, Ext2CorruptTest,
    ::testing::Values(Corruption { "bad_magic", "magic", true },
        Corruption { "inode_count_lies", "ssv inodes_count 99999", true },
        Corruption { "block_count_beyond_disk", "ssv blocks_count 9999999", true },
        Corruption { "bad_block_bitmap", "set_bg 0 block_bitmap 5000000", true },
        Corruption { "bad_block_number", "sif /file block[2] 3999999", false },
        Corruption { "data_points_at_inode_table", "sif /file block[IND] 5", false },
        Corruption { "huge_size", "sif /file size 0x7fffffffffffffff", false },
        Corruption { "directory_size", "sif /dir size 7", false },
        Corruption { "deleted_inode", "sif /dir/inner links_count 0", false }),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(Ext2Test, CorruptDirectoryRecordLength) {
    stdfs::create_directory(m_staging / "dir");
    write_host_file(m_staging / "dir/inner", "x");
    make_image(1024, "4M");
    std::string blocks = debugfs(m_image, "blocks /dir");
    uint64_t block = std::stoull(blocks.substr(blocks.find_last_of('\n', blocks.size() - 2) + 1));
    {
        std::fstream image(m_image, std::ios::binary | std::ios::in | std::ios::out);
        image.seekp(std::streamoff(block * 1024 + 12 + 4)); // ".."'s rec_len
        uint16_t zero = 0;
        image.write(reinterpret_cast<char*>(&zero), 2);
    }
    test::host_console_clear();
    ASSERT_FALSE(mount().is_error());
    EXPECT_EQ(resolve("/dir/inner").error(), Error::Corrupted);
    EXPECT_EQ(fs().create_file(get("/dir"), "new", 0644, 0, 0).error(), Error::Corrupted);
    EXPECT_TRUE(fs().directory_entry(get("/dir"), 2).is_error());
    EXPECT_NE(test::host_console_output().find("corrupt directory"), std::string::npos);
    unmount();
}

} // namespace
} // namespace akuma::fs
