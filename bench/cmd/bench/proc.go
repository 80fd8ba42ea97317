package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A server is a target's process group: the process the driver started and
// whatever it forked (node:cluster workers), all in one process group.
type server struct {
	cmd     *exec.Cmd
	addr    string // host:port it serves on
	done    chan struct{}
	stopped sync.Once
}

var servingLine = regexp.MustCompile(`msg=serving addr=(\S+)`)

// start runs argv with env in its own process group, waits for the line
// "msg=serving addr=HOST:PORT" in its output and returns it serving. Its
// output goes on to a log file in dir. The process group is killed by the
// kernel if the driver dies (Pdeathsig), and by stop otherwise.
func start(ctx context.Context, name, dir string, argv, env []string) (*server, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if m := servingLine.FindStringSubmatch(line); !found && m != nil {
				found = true
				addrc <- m[1]
			}
		}
		io.Copy(logf, pr)
		logf.Close()
	}()
	go func() {
		cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	select {
	case s.addr = <-addrc:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("%s exited before serving: %s", name, tail(logPath))
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s did not log msg=serving in 60s: %s", name, tail(logPath))
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// stop ends the whole process group: SIGTERM, then SIGKILL after 5 s. It
// signals the group once; later calls only wait for the end (the group's
// id could by then be another's).
func (s *server) stop() {
	s.stopped.Do(func() {
		pgid := s.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
		}
		syscall.Kill(-pgid, syscall.SIGKILL) // stragglers; ESRCH when none
	})
	<-s.done
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// groupPIDs lists the live processes of process group pgid.
func groupPIDs(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := statFields(pid)
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// statFields returns /proc/PID/stat's fields after the command name: [0] is
// the state (field 3 of proc(5)), [2] the process group, [11] utime, [12] stime.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// clockTick is USER_HZ, 100 on Linux.
const clockTick = 100

// cpuTime is the user and system CPU time the group's processes used so far.
func (s *server) cpuTime() time.Duration {
	var ticks int64
	for _, pid := range groupPIDs(s.cmd.Process.Pid) {
		f := statFields(pid)
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + k
	}
	return time.Duration(ticks) * time.Second / clockTick
}

// peakRSS is the sum of the group's processes' VmHWM (peak resident set).
func (s *server) peakRSS() (kib int64, procs int) {
	for _, pid := range groupPIDs(s.cmd.Process.Pid) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				kib += n
				procs++
			}
		}
	}
	return kib, procs
}

// servers remembers every server started, so that all are stopped however
// the driver ends.
type servers struct{ list []*server }

func (ss *servers) add(s *server) { ss.list = append(ss.list, s) }

func (ss *servers) stopAll() {
	for _, s := range ss.list {
		s.stop()
	}
	ss.list = nil
}

// runCmd runs a build or setup step, its output shown on failure.
func runCmd(ctx context.Context, dir string, env []string, argv ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
	}
	return nil
}
