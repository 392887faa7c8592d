# Guards the two-pass link: the symbol table embedded in pass 2 was made
# from pass 1, so both must yield the same table.
execute_process(COMMAND ${MKSYMS} ${PASS2} ${OUT}/ksyms.check.bin RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "mksyms failed on ${PASS2}")
endif()
file(SHA256 ${OUT}/ksyms.bin first)
file(SHA256 ${OUT}/ksyms.check.bin second)
if(NOT first STREQUAL second)
  message(FATAL_ERROR "kernel symbol addresses moved between link passes: check .ksyms placement in kernel.ld")
endif()
