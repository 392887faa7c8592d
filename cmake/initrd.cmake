# The root file system images (cpio "newc" initrds) the kernel boots with:
#  - initrd.cpio: busybox (with applet links), the userspace programs, the
#    test programs and /etc/akuma/tests (the list the kernel's test mode runs);
#  - initrd-layout.cpio: the same plus the stdcheck layout variants and a
#    test list that runs each under every allocator.
# busybox-static (arm64) is fetched by `./akuma setup` into the build tree.
set(AKUMA_BUSYBOX ${CMAKE_BINARY_DIR}/busybox/bin/busybox)
set(AKUMA_INITRD ${CMAKE_BINARY_DIR}/initrd.cpio)
set(AKUMA_LAYOUT_INITRD ${CMAKE_BINARY_DIR}/initrd-layout.cpio)

# Applets linked into /bin (busybox decides what to run from argv[0]).
set(AKUMA_BUSYBOX_APPLETS sh ash ls cat echo wc env uname mkdir rmdir rm cp mv ln pwd printf test true false
    head tail sort uniq grep sed tr cut basename dirname touch stat readlink sleep seq expr id hostname date
    chmod find xargs od hexdump md5sum sha256sum yes which)

set(busybox_pairs ${AKUMA_BUSYBOX}=/bin/busybox)
foreach(applet IN LISTS AKUMA_BUSYBOX_APPLETS)
  list(APPEND busybox_pairs busybox=/bin/${applet}@)
endforeach()

# Loader fixtures: a static-PIE and a dynamic program, and a truncated ELF.
set(elf_fixtures ${PROJECT_SOURCE_DIR}/tests/host/data/elf)
set(truncated_elf ${CMAKE_BINARY_DIR}/fixtures/truncated-elf)
add_custom_command(OUTPUT ${truncated_elf}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/fixtures
  COMMAND head -c 100 ${elf_fixtures}/hello-static > ${truncated_elf}
  COMMAND chmod 755 ${truncated_elf}
  DEPENDS ${elf_fixtures}/hello-static)

set(common_pairs
  ${elf_fixtures}/hello-static-pie=/bin/tests/hello-static-pie
  ${elf_fixtures}/hello-dynamic=/bin/tests/hello-dynamic
  ${truncated_elf}=/bin/tests/truncated-elf
  ${AKUMA_ROOTFS_DIR}=/
  ${PROJECT_SOURCE_DIR}/userspace/rootfs/etc=/etc
  ${busybox_pairs})

add_custom_command(OUTPUT ${AKUMA_INITRD}
  COMMAND ${PROJECT_SOURCE_DIR}/tools/mkinitrd.sh ${AKUMA_INITRD} ${common_pairs}
          ${PROJECT_SOURCE_DIR}/tests/system/programs.list=/etc/akuma/tests
  DEPENDS ${AKUMA_USERSPACE_OUTPUTS} ${AKUMA_BUSYBOX} ${PROJECT_SOURCE_DIR}/tools/mkinitrd.sh
          ${PROJECT_SOURCE_DIR}/tests/system/programs.list ${truncated_elf}
  COMMENT "Building the root file system (initrd.cpio)")

add_custom_command(OUTPUT ${AKUMA_LAYOUT_INITRD}
  COMMAND ${PROJECT_SOURCE_DIR}/tools/mkinitrd.sh ${AKUMA_LAYOUT_INITRD} ${common_pairs}
          ${AKUMA_LAYOUT_DIR}=/ ${AKUMA_LAYOUT_LIST}=/etc/akuma/tests
  DEPENDS ${AKUMA_USERSPACE_OUTPUTS} ${AKUMA_BUSYBOX} ${PROJECT_SOURCE_DIR}/tools/mkinitrd.sh ${AKUMA_LAYOUT_LIST}
          ${truncated_elf}
  COMMENT "Building the layout-sweep root file system (initrd-layout.cpio)")

add_custom_target(initrd ALL DEPENDS ${AKUMA_INITRD} ${AKUMA_LAYOUT_INITRD})
