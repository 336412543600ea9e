package wsclient

import "github.com/wasmchat/wasmchat/protocol"

// track applies the outbox and offset bookkeeping to a frame from the
// server. It reports whether to deliver the frame (trimmed to start at the
// offset held) and a resume to send when frames are missing.
func (c *Client) track(f *protocol.ServerFrame) (deliver bool, resume *protocol.ClientFrame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.Status == protocol.StatusControl {
		if f.Type == protocol.ControlAck {
			c.acked(f.Client, f.Answer)
		}
		return true, nil
	}
	if f.Answer == "" {
		return c.untracked(f), nil
	}
	held, ok := c.held[f.Answer]
	if !ok {
		// Not in flight: a duplicate follower of an answer that has ended.
		return false, nil
	}
	if f.Offset > held {
		if r, ok := c.resumed[f.Answer]; ok && r == held {
			return false, nil // already asked for the rest from here
		}
		c.resumed[f.Answer] = held
		return false, &protocol.ClientFrame{Type: protocol.TypeResume, Answer: f.Answer, Offset: held}
	}
	switch f.Status {
	case protocol.StatusChunk:
		if f.End() <= held {
			return false, nil // held already
		}
		trim(f, held)
		c.held[f.Answer] = f.End()
		return true, nil
	case protocol.StatusEnd:
		trim(f, held)
	case protocol.StatusError:
		if f.Code == protocol.CodeNotFound {
			// The server no longer knows the answer (it restarted): it
			// ends here, with what arrived before.
			*f = protocol.ServerFrame{
				Status: protocol.StatusEnd, Answer: f.Answer, Conversation: f.Conversation,
				Offset: held, Finish: protocol.FinishInterrupted,
			}
		}
	}
	delete(c.held, f.Answer)
	delete(c.resumed, f.Answer)
	return true, nil
}

// trim cuts what is held already off the front of a chunk or end frame.
// Offsets are rune boundaries on both sides, so the cut is too.
func trim(f *protocol.ServerFrame, held int) {
	f.Content = f.Content[min(held-f.Offset, len(f.Content)):]
	f.Offset = held
}

// acked moves an ask from the outbox to the answers in flight.
func (c *Client) acked(client, answer string) {
	for i, f := range c.outbox {
		if f.ID == client {
			c.outbox = append(c.outbox[:i], c.outbox[i+1:]...)
			if _, ok := c.held[answer]; !ok && answer != "" {
				c.held[answer] = 0
			}
			return
		}
	}
}

// untracked handles a frame that names no answer: an error about an ask, or
// a frame of a backend that does not name answers.
func (c *Client) untracked(f *protocol.ServerFrame) bool {
	if f.Status != protocol.StatusError || f.Client == "" {
		return true
	}
	if f.Code == protocol.CodeUnavailable {
		return false // the server is restarting: the ask stays queued
	}
	for i, q := range c.outbox {
		if q.ID == f.Client {
			c.outbox = append(c.outbox[:i], c.outbox[i+1:]...)
			break
		}
	}
	return true
}
