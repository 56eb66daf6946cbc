#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include "CHostFile.h"

extern char **environ;

int chostfile_spawn(const char *path, const char *arguments, size_t length, int in_fd, int out_fd, int err_fd,
                    pid_t *pid) {
    size_t count = 0;
    for (size_t i = 0; i < length; i++) if (arguments[i] == '\0') count++;
    char **argv = calloc(count + 1, sizeof(char *));
    if (argv == NULL) return ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < length && n < count; i += strlen(arguments + i) + 1) argv[n++] = (char *)(arguments + i);
    argv[n] = NULL;

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    int fds[3] = {in_fd, out_fd, err_fd};
    for (int target = 0; target < 3; target++)
        if (fds[target] >= 0) posix_spawn_file_actions_adddup2(&actions, fds[target], target);
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int result = posix_spawn(pid, path, &actions, &attributes, argv, environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    free(argv);
    return result;
}

int chostfile_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
