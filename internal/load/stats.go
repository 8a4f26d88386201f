package load

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"math/bits"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// latencyHist is a log-linear histogram of durations in nanoseconds, safe
// for concurrent use: 128 buckets per power of two, so a percentile read
// from it is at most 0.8% above the true value.
type latencyHist struct {
	counts [histBuckets]atomic.Int64
	max    atomic.Int64
	n      atomic.Int64
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits
	histBuckets = (64-histSubBits)*histSub + histSub
)

func histIndex(v int64) int {
	if v < 0 {
		v = 0
	}
	shift := max(0, bits.Len64(uint64(v))-(histSubBits+1))
	return shift*histSub + int(v>>shift)
}

// histUpper is the largest value that falls in bucket i.
func histUpper(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	shift := i/histSub - 1
	return (int64(i-shift*histSub+1) << shift) - 1
}

func (h *latencyHist) record(d time.Duration) {
	v := int64(d)
	h.counts[histIndex(v)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// quantile returns the q-quantile (0 < q ≤ 1): the upper bound of the
// bucket that holds it, and the exact maximum for q = 1.
func (h *latencyHist) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	if q >= 1 {
		return time.Duration(h.max.Load())
	}
	rank := int64(q*float64(n) + 0.5)
	rank = max(1, min(rank, n))
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(min(histUpper(i), h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}

// procStatus reads a "VmRSS:"-style field of /proc/<pid>/status in bytes.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		num, unit, _ := strings.Cut(strings.TrimSpace(v), " ")
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, err
		}
		if unit == "kB" {
			n <<= 10
		}
		return n, nil
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+,
// writing 5 to clear_refs), so a peak can be read per scenario.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// findServerPID finds the process listening on the TCP port of a loopback
// URL, through /proc/net/tcp{,6} and the socket links under /proc/*/fd. It
// returns 0 when the URL is not on this machine or nothing is found (a
// process of another user cannot be seen).
func findServerPID(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		return 0
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return 0
	}
	inodes := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// local_address is HEXIP:HEXPORT; st 0A is LISTEN; the inode is field 9.
			if len(f) < 10 || f[3] != "0A" {
				continue
			}
			if _, hp, ok := strings.Cut(f[1], ":"); ok && hp == fmt.Sprintf("%04X", p) {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd")
	for _, dir := range procs {
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && inodes[link] {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
				return pid
			}
		}
	}
	return 0
}

// rawClient is a minimal HTTP/1.1 keep-alive client on one connection, for
// the scenarios: net/http's client costs the shared CPU several times what
// a request to /healthz costs the server, which would hide the server's
// own costs behind the client's. It reconnects when the server closes.
type rawClient struct {
	addr    string // host:port
	host    string // the Host header
	tls     *tls.Config
	timeout time.Duration

	conn net.Conn
	br   *bufio.Reader
	wbuf []byte
}

func newRawClient(rawURL string, timeout time.Duration) (*rawClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	c := &rawClient{host: u.Host, timeout: timeout}
	port := u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		c.tls = &tls.Config{ServerName: u.Hostname()}
	default:
		return nil, fmt.Errorf("url scheme %q: want http or https", u.Scheme)
	}
	c.addr = net.JoinHostPort(u.Hostname(), port)
	return c, nil
}

func (c *rawClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// rawAnswer is what the scenarios look at in an answer.
type rawAnswer struct {
	status     int
	retryAfter bool
	body       []byte // only when asked for
}

// do sends one request and reads its answer. A request on a reused
// connection that fails before any answer arrives is sent once more on a
// new one (the server may have closed an idle connection).
func (c *rawClient) do(method, path, token string, body []byte, wantBody bool) (rawAnswer, error) {
	for attempt := 0; ; attempt++ {
		reused := c.conn != nil
		if !reused {
			var err error
			d := net.Dialer{Timeout: c.timeout}
			if c.tls != nil {
				c.conn, err = tls.DialWithDialer(&d, "tcp", c.addr, c.tls)
			} else {
				c.conn, err = d.Dial("tcp", c.addr)
			}
			if err != nil {
				c.conn = nil
				return rawAnswer{}, err
			}
			c.br = bufio.NewReaderSize(c.conn, 16<<10)
		}
		ans, started, err := c.roundTrip(method, path, token, body, wantBody)
		if err == nil {
			return ans, nil
		}
		c.close()
		if !reused || started || attempt > 0 {
			return rawAnswer{}, err
		}
	}
}

func (c *rawClient) roundTrip(method, path, token string, body []byte, wantBody bool) (ans rawAnswer, started bool, err error) {
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	b := c.wbuf[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.host...)
	b = append(b, "\r\nUser-Agent: mfad-load\r\n"...)
	if token != "" {
		b = append(b, "Authorization: Bearer "...)
		b = append(b, token...)
		b = append(b, "\r\n"...)
	}
	if body != nil {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	c.wbuf = b
	if _, err := c.conn.Write(b); err != nil {
		return ans, false, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return ans, len(line) > 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return ans, true, fmt.Errorf("bad status line %q", line)
	}
	if ans.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return ans, true, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, closing := int64(-1), false, false
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return ans, true, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(v), 10, 64); err != nil || length < 0 {
				return ans, true, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			closing = bytes.EqualFold(v, []byte("close"))
		case bytes.EqualFold(k, []byte("Retry-After")):
			ans.retryAfter = len(v) > 0
		}
	}
	var out *bytes.Buffer
	if wantBody {
		out = &bytes.Buffer{}
	}
	read := func(n int64) error {
		if out != nil {
			_, err := io.CopyN(out, c.br, n)
			return err
		}
		_, err := c.br.Discard(int(n))
		return err
	}
	switch {
	case ans.status == 204 || ans.status == 304 || ans.status/100 == 1 || method == "HEAD":
	case chunked:
		for {
			line, err := c.br.ReadSlice('\n')
			if err != nil {
				return ans, true, err
			}
			hexSize, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
			n, err := strconv.ParseInt(string(hexSize), 16, 64)
			if err != nil || n < 0 {
				return ans, true, fmt.Errorf("bad chunk size %q", line)
			}
			if n == 0 {
				break
			}
			if err := read(n); err != nil {
				return ans, true, err
			}
			if _, err := c.br.Discard(2); err != nil {
				return ans, true, err
			}
		}
		for { // trailers, up to the blank line
			line, err := c.br.ReadSlice('\n')
			if err != nil {
				return ans, true, err
			}
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				break
			}
		}
	case length >= 0:
		if err := read(length); err != nil {
			return ans, true, err
		}
	default: // the body runs to the end of the connection
		closing = true
		if out != nil {
			_, err = io.Copy(out, c.br)
		} else {
			_, err = io.Copy(io.Discard, c.br)
		}
		if err != nil {
			return ans, true, err
		}
	}
	if out != nil {
		ans.body = out.Bytes()
	}
	if closing {
		c.close()
	}
	return ans, true, nil
}

// procCPU returns the CPU time (user + system) process pid has used so
// far, from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too short", pid)
	}
	// Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad CPU times", pid)
	}
	return time.Duration(u+s) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100
