# Akuma's greeting for interactive login shells on the console (sourced by
# /etc/profile). tests/system/shell_session.py waits for it.
case $- in
*i*) echo "Welcome to Akuma, with Debian's userland. 'exit' powers the machine off." ;;
esac
