# Runs `tether-bench --quick` (cmake -DBENCH=path -P smoke_check.cmake) and
# fails unless it exits 0 and prints every figure line with positive numbers.
execute_process(COMMAND ${BENCH} --quick
                RESULT_VARIABLE exit_code OUTPUT_VARIABLE output ERROR_VARIABLE errors TIMEOUT 25)
message("${output}${errors}")
if(NOT exit_code EQUAL 0)
  message(FATAL_ERROR "tether-bench --quick failed: ${exit_code}")
endif()

set(positive "([1-9][0-9]*(\\.[0-9]+)?|0\\.[0-9]*[1-9][0-9]*)")
foreach(size 64B 1KB)
  foreach(figure reliable_${size}_msgs_per_s rtt_${size}_p50_us rtt_${size}_p99_us
                 echo_capi_${size}_msgs_per_s echo_capi_rtt_${size}_p50_us echo_capi_rtt_${size}_p99_us
                 echo_capi_binary_${size}_msgs_per_s echo_capi_binary_rtt_${size}_p50_us
                 echo_capi_binary_rtt_${size}_p99_us)
    if(NOT output MATCHES "(^|\n)${figure} tether=${positive} baseline=${positive} ratio=${positive}\n")
      message(FATAL_ERROR "missing or empty figure: ${figure}")
    endif()
  endforeach()
endforeach()
if(NOT output MATCHES "(^|\n)allocations_per_pump=[0-9]+\\.[0-9]+ ")
  message(FATAL_ERROR "missing figure: allocations_per_pump")
endif()
