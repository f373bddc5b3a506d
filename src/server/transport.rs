//! The stdio transport: `Content-Length` framed JSON-RPC, as `lsp-server`'s own, except that
//! bad input never ends the connection. `lsp-server`'s reader stops at the first malformed
//! message, which would take the server down with it; here a frame that is not JSON gets a
//! `ParseError` response (id `null`, as JSON-RPC specifies), a JSON value that is not a
//! message gets `InvalidRequest`, and reading goes on with the next frame.

use std::io::{self, BufRead, Read, Write};
use std::thread;

use crossbeam_channel::{Sender, bounded, unbounded};
use lsp_server::{Connection, ErrorCode, Message};
use serde_json::{Value, json};

/// Messages larger than this are refused (and skipped), not buffered.
const MAX_FRAME_BYTES: usize = 1 << 30;

/// A connection over stdin/stdout, and the writer thread to join once the connection is
/// dropped (so that every queued message is flushed before the process exits).
pub fn stdio() -> (Connection, thread::JoinHandle<()>) {
    let (writer_tx, writer_rx) = unbounded::<Message>();
    let writer = thread::Builder::new()
        .name("forklint-lsp-writer".into())
        .spawn(move || {
            for message in writer_rx {
                let text = match serde_json::to_string(&JsonRpc::new(&message)) {
                    Ok(text) => text,
                    Err(_) => continue,
                };
                if write_frame(&text).is_err() {
                    // The client is gone: nothing more can be said.
                    return;
                }
            }
        })
        .expect("cannot start the writer thread");
    let (reader_tx, reader_rx) = bounded::<Message>(0);
    thread::Builder::new()
        .name("forklint-lsp-reader".into())
        .spawn(move || read_loop(reader_tx))
        .expect("cannot start the reader thread");
    let connection = Connection {
        sender: writer_tx,
        receiver: reader_rx,
    };
    (connection, writer)
}

/// A message with its `"jsonrpc": "2.0"` member.
#[derive(serde::Serialize)]
struct JsonRpc<'a> {
    jsonrpc: &'static str,
    #[serde(flatten)]
    message: &'a Message,
}

impl<'a> JsonRpc<'a> {
    fn new(message: &'a Message) -> Self {
        JsonRpc {
            jsonrpc: "2.0",
            message,
        }
    }
}

/// Writes one frame; stdout's lock keeps frames from the reader's error replies whole.
fn write_frame(text: &str) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    write!(out, "Content-Length: {}\r\n\r\n", text.len())?;
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn read_loop(sender: Sender<Message>) {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    loop {
        let frame = match read_frame(&mut input) {
            Ok(Some(frame)) => frame,
            // End of input: the client closed the pipe.
            Ok(None) => return,
            Err(problem) => {
                log_to_client(&format!("forklint: skipped a malformed frame: {problem}"));
                continue;
            }
        };
        let message = match serde_json::from_slice::<Value>(&frame) {
            Err(e) => {
                reply_error(
                    Value::Null,
                    ErrorCode::ParseError,
                    &format!("invalid JSON: {e}"),
                );
                continue;
            }
            Ok(value) => match serde_json::from_value::<Message>(value.clone()) {
                Ok(message) => message,
                Err(e) => {
                    // Answer a request we cannot read with its own id; anything else is logged.
                    match value
                        .get("id")
                        .filter(|id| id.is_number() || id.is_string())
                    {
                        Some(id) => reply_error(
                            id.clone(),
                            ErrorCode::InvalidRequest,
                            &format!("not a JSON-RPC message: {e}"),
                        ),
                        None => log_to_client(&format!(
                            "forklint: ignored a message that is not JSON-RPC: {e}"
                        )),
                    }
                    continue;
                }
            },
        };
        let is_exit = matches!(&message, Message::Notification(n) if n.method == "exit");
        if sender.send(message).is_err() || is_exit {
            return;
        }
    }
}

fn reply_error(id: Value, code: ErrorCode, message: &str) {
    let reply = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code as i32, "message": message},
    });
    let _ = write_frame(&reply.to_string());
}

fn log_to_client(message: &str) {
    let note = json!({
        "jsonrpc": "2.0",
        "method": "window/logMessage",
        "params": {"type": 1, "message": message},
    });
    let _ = write_frame(&note.to_string());
}

/// Why a frame was skipped.
#[derive(Debug, thiserror::Error)]
enum FrameError {
    #[error("header line without CRLF or `: `: {0:?}")]
    Header(String),
    #[error("no Content-Length header")]
    NoLength,
    #[error("Content-Length of {0} bytes is too large")]
    TooLarge(usize),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Reads one frame's body. `Ok(None)` at the end of input. After a bad header, the rest of
/// the header block is consumed, so the next read starts at the next frame.
fn read_frame(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, FrameError> {
    let mut length: Option<Result<usize, String>> = None;
    let mut bad_header: Option<String> = None;
    let mut line = Vec::new();
    let mut saw_any = false;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return if saw_any {
                Err(FrameError::Io(io::ErrorKind::UnexpectedEof.into()))
            } else {
                Ok(None)
            };
        }
        saw_any = true;
        let text = String::from_utf8_lossy(&line);
        let Some(header) = text.strip_suffix("\r\n") else {
            bad_header.get_or_insert_with(|| text.to_string());
            continue;
        };
        if header.is_empty() {
            break;
        }
        match header.split_once(": ") {
            Some((name, value)) if name.eq_ignore_ascii_case("Content-Length") => {
                length = Some(value.trim().parse().map_err(|_| value.to_string()));
            }
            Some(_) => {}
            None => {
                bad_header.get_or_insert_with(|| header.to_string());
            }
        }
    }
    if let Some(header) = bad_header {
        return Err(FrameError::Header(header));
    }
    let length = match length {
        Some(Ok(n)) => n,
        Some(Err(v)) => return Err(FrameError::Header(format!("Content-Length: {v}"))),
        None => return Err(FrameError::NoLength),
    };
    if length > MAX_FRAME_BYTES {
        io::copy(&mut Read::take(&mut *input, length as u64), &mut io::sink())?;
        return Err(FrameError::TooLarge(length));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Result<String, String>> {
        let mut reader = io::BufReader::new(input);
        let mut out = Vec::new();
        loop {
            match read_frame(&mut reader) {
                Ok(Some(body)) => out.push(Ok(String::from_utf8(body).unwrap())),
                Ok(None) => return out,
                Err(FrameError::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    out.push(Err("eof".into()));
                    return out;
                }
                Err(e) => out.push(Err(e.to_string())),
            }
        }
    }

    #[test]
    fn reads_frames_and_recovers_after_bad_headers() {
        let input = b"Content-Length: 2\r\n\r\n{}\
            Content-Type: x\r\nContent-Length: 3\r\n\r\n[1]\
            garbage\r\n\r\n\
            Content-Length: 1\r\n\r\n1";
        assert_eq!(
            frames(input),
            vec![
                Ok("{}".into()),
                Ok("[1]".into()),
                Err("header line without CRLF or `: `: \"garbage\"".into()),
                Ok("1".into()),
            ]
        );
    }

    #[test]
    fn missing_length_and_truncated_body() {
        assert_eq!(
            frames(b"X-A: b\r\n\r\nContent-Length: 10\r\n\r\nab"),
            vec![Err("no Content-Length header".into()), Err("eof".into())]
        );
    }
}
