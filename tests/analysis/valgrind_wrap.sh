#!/bin/sh
# exe_wrapper of the 'valgrind' test setup: run compiled test programs under
# valgrind memcheck; run scripts (the Python drivers) as they are, since
# valgrind would check the interpreter, not kvstrail. The programs a script
# starts run without valgrind: the C tests that matter run directly.
prog=$1
case ${prog##*/} in
  python*|*.py|*.sh) exec "$@" ;;
esac
if [ "$(head -c 4 "$prog" 2>/dev/null | tail -c 3)" = "ELF" ]; then
  exec valgrind --error-exitcode=1 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --track-origins=no --quiet "$@"
fi
exec "$@"
