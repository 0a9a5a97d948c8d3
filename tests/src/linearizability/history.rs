//! Histories: the recorded events of concurrent clients, loaded from JSON and
//! paired into operations.
//!
//! An event is an `invoke` or a completion (`ok`, `fail`, `info`) of one
//! process (a client that runs one operation at a time). Time is the event's
//! index in the recorded list: the list is one total order consistent with
//! real time. Invariants kept by [`History::operations`]: every completion
//! follows an invoke of the same process; a process never invokes while its
//! previous operation is still open; a completion's position is after its
//! invoke's.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Largest number of events a history may hold (bounds memory and search).
pub const EVENTS_MAX: usize = 1_000_000;

/// What an operation asks for (the invoke's half).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Input {
    /// Read the register (`SELECT v ... ` at SERIAL).
    Read,
    /// Write the register; `if_exists` is `UPDATE ... IF EXISTS` (applies iff the
    /// row exists), otherwise the write always applies.
    Write {
        /// The value written.
        value: i64,
        /// Conditioned on the row existing.
        if_exists: bool,
    },
    /// Compare-and-set: applies iff the current value equals `old` (`None`: the
    /// row is absent, i.e. `INSERT ... IF NOT EXISTS`).
    Cas {
        /// The expected current value.
        old: Option<i64>,
        /// The value written when applied.
        new: i64,
    },
    /// Insert `x` into the key's set iff absent (`INSERT ... IF NOT EXISTS`).
    Add(i64),
    /// Read the whole set (at SERIAL).
    ReadSet,
}

impl Input {
    /// Whether the operation can change state (reads cannot).
    pub fn has_effects(&self) -> bool {
        !matches!(self, Self::Read | Self::ReadSet)
    }

    /// Whether the operation belongs to the unique-insert set model.
    pub fn is_set_op(&self) -> bool {
        matches!(self, Self::Add(_) | Self::ReadSet)
    }
}

/// What an operation returned (the completion's half).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Output {
    /// A register read: the value, `None` for nil.
    Read(Option<i64>),
    /// A conditional (or plain) write: whether it applied, and for a `cas`
    /// not applied the current value the server returned, when recorded.
    Applied {
        /// `[applied]`.
        applied: bool,
        /// The current value returned with a not-applied result (`Some(None)`:
        /// returned as nil; `None`: not recorded).
        current: Option<Option<i64>>,
    },
    /// A set read: the members, in any order.
    ReadSet(Vec<i64>),
    /// Unknown outcome (`info`): the operation may take effect at any point
    /// after its invoke, or never.
    Unknown,
}

/// The kind of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The client sent the request.
    Invoke,
    /// The request completed with a definite result.
    Ok,
    /// The request definitely did not take effect.
    Fail,
    /// Unknown outcome (for example a timeout).
    Info,
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The client.
    pub process: u64,
    /// Invoke or completion.
    pub kind: EventKind,
    /// The key (partition); required on invokes, ignored on completions.
    pub key: i64,
    /// The request (on invokes; ignored on completions).
    pub input: Option<Input>,
    /// The result (on `ok` completions).
    pub output: Option<Output>,
}

/// An invoke paired with its completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The client.
    pub process: u64,
    /// The key.
    pub key: i64,
    /// Position of the invoke in the whole history.
    pub invoke: usize,
    /// Position of the completion; `None` when the outcome is unknown (`info`
    /// or no completion recorded).
    pub complete: Option<usize>,
    /// The request.
    pub input: Input,
    /// The result ([`Output::Unknown`] when `complete` is `None`).
    pub output: Output,
}

/// A recorded history: events in real-time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The events; an event's index is its time.
    pub events: Vec<Event>,
}

impl History {
    /// An empty history (add events with the builder methods).
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an invoke of `input` on `key` by `process`.
    pub fn invoke(&mut self, process: u64, key: i64, input: Input) -> &mut Self {
        self.events.push(Event {
            process,
            kind: EventKind::Invoke,
            key,
            input: Some(input),
            output: None,
        });
        self
    }

    /// Records an `ok` completion of `process`'s open operation.
    pub fn ok(&mut self, process: u64, output: Output) -> &mut Self {
        self.complete(process, EventKind::Ok, Some(output))
    }

    /// Records a `fail` completion (the operation did not happen).
    pub fn fail(&mut self, process: u64) -> &mut Self {
        self.complete(process, EventKind::Fail, None)
    }

    /// Records an `info` completion (unknown outcome).
    pub fn info(&mut self, process: u64) -> &mut Self {
        self.complete(process, EventKind::Info, None)
    }

    fn complete(&mut self, process: u64, kind: EventKind, output: Option<Output>) -> &mut Self {
        self.events.push(Event {
            process,
            kind,
            key: 0,
            input: None,
            output,
        });
        self
    }

    /// Pairs invokes with completions. Failed operations are dropped (they did
    /// not happen); open and `info` operations get an unknown outcome.
    ///
    /// # Errors
    /// A completion without an open invoke, an invoke while the process has an
    /// open operation, or an `ok` whose result does not fit the request.
    pub fn operations(&self) -> Result<Vec<Operation>, String> {
        let mut open: BTreeMap<u64, usize> = BTreeMap::new();
        let mut ops: Vec<Option<Operation>> = Vec::new();
        for (at, event) in self.events.iter().enumerate() {
            if event.kind == EventKind::Invoke {
                let input = event
                    .input
                    .clone()
                    .ok_or_else(|| format!("event {at}: invoke without an operation"))?;
                if let Some(&prev) = open.get(&event.process) {
                    return Err(format!(
                        "event {at}: process {} invokes while event {} is open",
                        event.process,
                        ops_invoke(&ops, prev)
                    ));
                }
                open.insert(event.process, ops.len());
                ops.push(Some(Operation {
                    process: event.process,
                    key: event.key,
                    invoke: at,
                    complete: None,
                    input,
                    output: Output::Unknown,
                }));
                continue;
            }
            let index = open.remove(&event.process).ok_or_else(|| {
                format!(
                    "event {at}: process {} completes with no open operation",
                    event.process
                )
            })?;
            let slot = ops
                .get_mut(index)
                .ok_or_else(|| format!("event {at}: lost operation"))?;
            match event.kind {
                EventKind::Fail => *slot = None,
                EventKind::Info | EventKind::Invoke => {}
                EventKind::Ok => {
                    if let Some(op) = slot.as_mut() {
                        let output = event
                            .output
                            .clone()
                            .ok_or_else(|| format!("event {at}: ok without a result"))?;
                        check_fits(&op.input, &output).map_err(|e| format!("event {at}: {e}"))?;
                        op.complete = Some(at);
                        op.output = output;
                    }
                }
            }
        }
        Ok(ops.into_iter().flatten().collect())
    }
}

fn ops_invoke(ops: &[Option<Operation>], index: usize) -> String {
    ops.get(index)
        .and_then(|o| o.as_ref())
        .map_or_else(|| "?".to_owned(), |o| o.invoke.to_string())
}

fn check_fits(input: &Input, output: &Output) -> Result<(), String> {
    let fits = match input {
        Input::Read => matches!(output, Output::Read(_)),
        Input::ReadSet => matches!(output, Output::ReadSet(_)),
        Input::Write { .. } | Input::Cas { .. } | Input::Add(_) => {
            matches!(output, Output::Applied { .. })
        }
    };
    if fits {
        Ok(())
    } else {
        Err(format!("result {output:?} does not fit {input:?}"))
    }
}

/// Groups operations by key (P-compositionality: each key is its own object),
/// keeping each key's operations in invoke order.
pub fn by_key(ops: Vec<Operation>) -> BTreeMap<i64, Vec<Operation>> {
    let mut keys: BTreeMap<i64, Vec<Operation>> = BTreeMap::new();
    for op in ops {
        keys.entry(op.key).or_default().push(op);
    }
    keys
}

/// Parses a history: a JSON array of events, or one JSON event per line.
///
/// # Errors
/// Malformed JSON or an event that does not follow the format in
/// `docs/linearizability.md`, naming the event's position.
pub fn parse(text: &str) -> Result<History, String> {
    let values: Vec<Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map_err(|e| format!("history JSON: {e}"))?
    } else {
        let mut values = Vec::new();
        for (line_no, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            values.push(
                serde_json::from_str(line).map_err(|e| format!("line {}: {e}", line_no + 1))?,
            );
        }
        values
    };
    if values.len() > EVENTS_MAX {
        return Err(format!("{} events, more than {EVENTS_MAX}", values.len()));
    }
    let mut history = History::new();
    for (at, value) in values.iter().enumerate() {
        let object = value
            .as_object()
            .ok_or_else(|| format!("event {at}: not an object"))?;
        history
            .events
            .push(parse_event(object).map_err(|e| format!("event {at}: {e}"))?);
    }
    Ok(history)
}

fn parse_event(object: &Map<String, Value>) -> Result<Event, String> {
    let process = object
        .get("process")
        .and_then(Value::as_u64)
        .ok_or("no integer `process`")?;
    let kind = match object.get("type").and_then(Value::as_str) {
        Some("invoke") => EventKind::Invoke,
        Some("ok") => EventKind::Ok,
        Some("fail") => EventKind::Fail,
        Some("info") => EventKind::Info,
        other => return Err(format!("bad `type` {other:?}")),
    };
    let f = object.get("f").and_then(Value::as_str);
    let mut event = Event {
        process,
        kind,
        key: 0,
        input: None,
        output: None,
    };
    match kind {
        EventKind::Invoke => {
            event.key = object
                .get("key")
                .and_then(Value::as_i64)
                .ok_or("invoke without an integer `key`")?;
            event.input = Some(parse_input(f.ok_or("invoke without `f`")?, object)?);
        }
        EventKind::Ok => event.output = Some(parse_output(f.ok_or("ok without `f`")?, object)?),
        EventKind::Fail | EventKind::Info => {}
    }
    Ok(event)
}

fn int(value: Option<&Value>, what: &str) -> Result<i64, String> {
    value
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("`{what}` is not an integer"))
}

fn nullable(value: Option<&Value>, what: &str) -> Result<Option<i64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("`{what}` is not an integer or null")),
    }
}

fn parse_input(f: &str, object: &Map<String, Value>) -> Result<Input, String> {
    let value = object.get("value");
    Ok(match f {
        "read" => Input::Read,
        "read-set" => Input::ReadSet,
        "write" => Input::Write {
            value: int(value, "value")?,
            if_exists: object
                .get("if_exists")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "add" => Input::Add(int(value, "value")?),
        "cas" => {
            let pair = value
                .and_then(Value::as_array)
                .filter(|a| a.len() == 2)
                .ok_or("cas `value` is not [old, new]")?;
            Input::Cas {
                old: nullable(pair.first(), "old")?,
                new: int(pair.get(1), "new")?,
            }
        }
        other => return Err(format!("unknown operation `{other}`")),
    })
}

fn parse_output(f: &str, object: &Map<String, Value>) -> Result<Output, String> {
    Ok(match f {
        "read" => Output::Read(nullable(object.get("value"), "value")?),
        "read-set" => {
            let items = object
                .get("value")
                .and_then(Value::as_array)
                .ok_or("read-set `value` is not an array")?;
            Output::ReadSet(
                items
                    .iter()
                    .map(|v| int(Some(v), "member"))
                    .collect::<Result<_, _>>()?,
            )
        }
        "write" | "cas" | "add" => Output::Applied {
            applied: object
                .get("applied")
                .and_then(Value::as_bool)
                .ok_or("no boolean `applied`")?,
            current: match object.get("current") {
                None => None,
                Some(v) => Some(nullable(Some(v), "current")?),
            },
        },
        other => return Err(format!("unknown operation `{other}`")),
    })
}
