package sshserver

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Serve offers a terminal session and nothing else. Whatever else a client
// asks for (port forwarding either way, agent or X11 forwarding, a
// subsystem such as sftp, another kind of channel) is refused and audited
// under the connection's key; a connection that keeps asking is closed.

// Audit actions of refused requests.
const (
	actionForward    = "forward"
	actionSubsystem  = "subsystem"
	actionChannel    = "channel"
	actionConnection = "connection"
)

// connState is what the server keeps per connection.
type connState struct {
	raw      net.Conn
	sessions atomic.Int32 // session channels open
	refused  atomic.Int32
	authed   atomic.Bool
	login    *time.Timer
	once     sync.Once
}

type connStateKey struct{}

// close ends the connection and everything on it.
func (c *connState) close() {
	c.once.Do(func() { c.raw.Close() })
}

// trackedConn forgets its connection when the library closes it.
type trackedConn struct {
	net.Conn
	s  *Server
	st *connState
}

func (c *trackedConn) Close() error {
	c.s.forget(c.st)
	c.st.login.Stop()
	return c.Conn.Close()
}

// accept tracks a new connection (Shutdown closes what is left of them)
// and closes it unless it authenticates within the login timeout.
func (s *Server) accept(ctx ssh.Context, raw net.Conn) net.Conn {
	st := &connState{raw: raw}
	st.login = time.AfterFunc(s.cfg.LoginTimeout, func() {
		if !st.authed.Load() {
			s.log.Debug("ssh login timeout", "remote", raw.RemoteAddr().String())
			st.close()
		}
	})
	s.mu.Lock()
	closing := s.closing
	if !closing {
		s.conns[st] = struct{}{}
	}
	s.mu.Unlock()
	if closing {
		st.login.Stop()
		raw.Close()
		return nil
	}
	ctx.SetValue(connStateKey{}, st)
	return &trackedConn{Conn: raw, s: s, st: st}
}

func (s *Server) forget(st *connState) {
	s.mu.Lock()
	delete(s.conns, st)
	s.mu.Unlock()
}

// closeConns closes every connection, authenticated or not.
func (s *Server) closeConns() int {
	s.mu.Lock()
	conns := make([]*connState, 0, len(s.conns))
	for st := range s.conns {
		conns = append(conns, st)
	}
	s.mu.Unlock()
	for _, st := range conns {
		st.close()
	}
	return len(conns)
}

// Answers to a refused request.
func noAnswer() {} // the library answers a global request after its handler

func rejectWith(nc gossh.NewChannel, reason gossh.RejectionReason, msg string) func() {
	return func() { _ = nc.Reject(reason, msg) }
}

func replyNo(req *gossh.Request) func() {
	return func() { _ = req.Reply(false, nil) }
}

func stateOf(ctx ssh.Context) *connState {
	st, _ := ctx.Value(connStateKey{}).(*connState)
	return st
}

// serverConfig marks a connection authenticated once a key was accepted.
func (s *Server) serverConfig(ctx ssh.Context) *gossh.ServerConfig {
	return &gossh.ServerConfig{
		AuthLogCallback: func(_ gossh.ConnMetadata, method string, err error) {
			if st := stateOf(ctx); st != nil && err == nil && method == "publickey" {
				st.authed.Store(true)
				st.login.Stop()
			}
		},
	}
}

// refuse records a refused request under the connection's key, answers
// it, and closes the connection once it was refused too often.
func (s *Server) refuse(ctx ssh.Context, action, scope, why string, answer func()) {
	s.cfg.Audit.Record(s.connIdentity(ctx), action, clip(scope), ResultRefused+": "+why)
	answer()
	st := stateOf(ctx)
	if st == nil {
		return
	}
	if n := st.refused.Add(1); n == maxRefusalsPerConn {
		s.cfg.Audit.Record(s.connIdentity(ctx), actionConnection, "", fmt.Sprintf("closed: %d requests refused", n))
		st.close()
	}
}

// connIdentity is who a connection authenticated as; it has no session.
func (s *Server) connIdentity(ctx ssh.Context) Identity {
	id := Identity{User: clip(ctx.User())}
	if a := ctx.RemoteAddr(); a != nil {
		id.Remote = a.String()
	}
	if key, ok := ctx.Value(ssh.ContextKeyPublicKey).(ssh.PublicKey); ok && key != nil {
		id.Fingerprint = gossh.FingerprintSHA256(key)
		if e, ok := s.cfg.Keys.Lookup(key); ok {
			id.Role = e.Role
		}
	}
	return id
}

// globalRequest refuses every connection-wide request; asking the server
// to listen for the client (remote forwarding, ssh -R) is audited.
func (s *Server) globalRequest(ctx ssh.Context, _ *ssh.Server, req *gossh.Request) (bool, []byte) {
	switch req.Type {
	case "tcpip-forward":
		var p struct {
			Addr string
			Port uint32
		}
		_ = gossh.Unmarshal(req.Payload, &p)
		s.refuse(ctx, actionForward, "remote "+net.JoinHostPort(p.Addr, strconv.Itoa(int(p.Port))), "port forwarding is not allowed", noAnswer)
	case "streamlocal-forward@openssh.com":
		var p struct{ Path string }
		_ = gossh.Unmarshal(req.Payload, &p)
		s.refuse(ctx, actionForward, "remote socket "+p.Path, "port forwarding is not allowed", noAnswer)
	default:
		// keepalive@openssh.com, no-more-sessions@openssh.com and the
		// cancellations: a plain "no".
	}
	return false, nil
}

// otherChannel refuses every channel but a session: connections to ports
// or sockets (local forwarding, ssh -L, -W, -D), tunnels, anything else.
func (s *Server) otherChannel(_ *ssh.Server, _ *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	switch nc.ChannelType() {
	case "direct-tcpip":
		var p struct {
			Addr       string
			Port       uint32
			OriginAddr string
			OriginPort uint32
		}
		_ = gossh.Unmarshal(nc.ExtraData(), &p)
		s.refuse(ctx, actionForward, "local to "+net.JoinHostPort(p.Addr, strconv.Itoa(int(p.Port))), "port forwarding is not allowed",
			rejectWith(nc, gossh.Prohibited, "port forwarding is not allowed"))
	case "direct-streamlocal@openssh.com":
		var p struct{ Path string }
		_ = gossh.Unmarshal(nc.ExtraData(), &p)
		s.refuse(ctx, actionForward, "local to socket "+p.Path, "port forwarding is not allowed",
			rejectWith(nc, gossh.Prohibited, "port forwarding is not allowed"))
	case "tun@openssh.com":
		s.refuse(ctx, actionForward, "tunnel", "tunnel forwarding is not allowed",
			rejectWith(nc, gossh.Prohibited, "tunnel forwarding is not allowed"))
	default:
		s.refuse(ctx, actionChannel, nc.ChannelType(), "unsupported channel type",
			rejectWith(nc, gossh.UnknownChannelType, "unsupported channel type"))
	}
}

// sessionChannel runs the library's session handler on a channel whose
// requests were filtered, at most maxSessionsPerConn per connection.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	st := stateOf(ctx)
	if st != nil {
		if st.sessions.Add(1) > maxSessionsPerConn {
			st.sessions.Add(-1)
			s.refuse(ctx, actionChannel, "session", fmt.Sprintf("more than %d sessions on one connection", maxSessionsPerConn),
				rejectWith(nc, gossh.ResourceShortage, fmt.Sprintf("at most %d sessions per connection", maxSessionsPerConn)))
			return
		}
		defer st.sessions.Add(-1)
	}
	ssh.DefaultSessionHandler(srv, conn, filteredChannel{NewChannel: nc, s: s, ctx: ctx}, ctx)
}

// filteredChannel hands the library a session's requests without what
// serve refuses.
type filteredChannel struct {
	gossh.NewChannel
	s   *Server
	ctx ssh.Context
}

func (c filteredChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := c.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go c.s.filterRequests(c.ctx, reqs, out)
	return ch, out, nil
}

// filterRequests refuses agent and X11 forwarding and subsystems (sftp),
// and environment variables beyond maxEnvVars or maxEnvBytes; it passes
// the rest on.
func (s *Server) filterRequests(ctx ssh.Context, in <-chan *gossh.Request, out chan<- *gossh.Request) {
	defer close(out)
	envVars, envBytes := 0, 0
	for req := range in {
		switch req.Type {
		case "auth-agent-req@openssh.com":
			s.refuse(ctx, actionForward, "agent", "agent forwarding is not allowed", replyNo(req))
			continue
		case "x11-req":
			s.refuse(ctx, actionForward, "x11", "X11 forwarding is not allowed", replyNo(req))
			continue
		case "subsystem":
			var p struct{ Name string }
			_ = gossh.Unmarshal(req.Payload, &p)
			s.refuse(ctx, actionSubsystem, p.Name, "subsystems are not supported", replyNo(req))
			continue
		case "env":
			envVars++
			envBytes += len(req.Payload)
			if envVars > maxEnvVars || envBytes > maxEnvBytes {
				_ = req.Reply(false, nil)
				continue
			}
		}
		out <- req
	}
}
