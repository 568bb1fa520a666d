//! A deterministic layered layout of a process as one pool with a lane per role.
//!
//! Columns are layers of a longest-path layering of the flow graph without its back edges
//! (found by a depth-first search from the start steps); rows are lanes, and inside a lane,
//! tracks for steps that share a column. Every shape sits in its own (column, lane, track)
//! slot, so shapes never overlap. Edges are orthogonal: horizontal segments run along a
//! track through empty slots or along a corridor (a strip kept free at the bottom of a
//! lane), vertical segments run in the gaps between columns (each edge that needs one gets
//! its own channel there) or through empty slots of a column. Loops go back along a
//! corridor. Only integers and fixed iteration orders are used: same input, same geometry.

use std::collections::{BTreeMap, HashMap};

use super::text;
use crate::process::{Process, Step, StepType};

/// Page margin around the pool.
const MARGIN: f64 = 20.0;
/// Width of the name strip at the left of the pool and of each lane.
const HEADER: f64 = 30.0;
const TASK_W: f64 = 120.0;
const TASK_MAX_W: f64 = 240.0;
const TASK_MIN_H: f64 = 80.0;
pub const TASK_PADDING: f64 = 8.0;
const GATEWAY: f64 = 50.0;
const EVENT: f64 = 36.0;
const DOC_W: f64 = 36.0;
const DOC_H: f64 = 50.0;
/// Horizontal distance between the centres of neighbouring document icons under a task.
const DOC_SPACING: f64 = 100.0;
/// Vertical distance between a task and its document icons.
const DOC_GAP: f64 = 24.0;
const MIN_COLUMN: f64 = 100.0;
const MIN_GAP: f64 = 50.0;
const GAP_PAD: f64 = 18.0;
/// Distance between parallel edge segments in a gap or a corridor.
const CHANNEL: f64 = 12.0;
const TRACK_PAD: f64 = 16.0;
const MIN_LANE: f64 = 110.0;
const LABEL_DISTANCE: f64 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    pub fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
    /// True when the interiors intersect (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// How a step is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Event,
    Task,
    Gateway,
}

impl Shape {
    pub fn of(kind: StepType) -> Shape {
        match kind {
            StepType::Start | StepType::End => Shape::Event,
            StepType::Task => Shape::Task,
            StepType::Decision | StepType::Parallel => Shape::Gateway,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NodeBox {
    pub bounds: Rect,
    /// Where the name is written when it is outside the shape (events, gateways).
    pub label: Option<Rect>,
}

#[derive(Debug, Clone)]
pub struct LaneBox {
    /// Index into `Process::roles`; `None` for the lane of steps without a role.
    pub role: Option<usize>,
    pub bounds: Rect,
}

/// A document icon under a task, with its association line.
#[derive(Debug, Clone)]
pub struct DocBox {
    pub step: usize,
    pub document: String,
    /// Read by the task (an input) rather than produced by it.
    pub input: bool,
    pub bounds: Rect,
    pub label: Rect,
    /// From source to target: icon to task for inputs, task to icon for outputs.
    pub points: Vec<Point>,
}

#[derive(Debug, Clone)]
pub struct EdgePath {
    pub from: usize,
    /// Index into the source step's `next`.
    pub flow: usize,
    pub to: usize,
    pub points: Vec<Point>,
    pub label: Option<Rect>,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub pool: Rect,
    pub lanes: Vec<LaneBox>,
    /// One per step, in step order.
    pub nodes: Vec<NodeBox>,
    pub docs: Vec<DocBox>,
    pub edges: Vec<EdgePath>,
    pub width: f64,
    pub height: f64,
}

/// The lane a step is drawn in: its role's lane, or the lane for steps without a role.
pub fn lane_of(process: &Process, step: &Step) -> Option<usize> {
    step.role.as_deref().and_then(|r| process.roles.iter().position(|role| role.id == r))
}

/// Size of a step's shape; tasks grow in height with long names.
pub fn node_size(step: &Step) -> (f64, f64) {
    match Shape::of(step.kind) {
        Shape::Event => (EVENT, EVENT),
        Shape::Gateway => (GATEWAY, GATEWAY),
        Shape::Task => {
            // bpmn-js breaks words that do not fit inside a task: German compounds get
            // a box wide enough for them.
            let word = text::longest_word(&step.name, text::INNER_FONT) * text::LABEL_SLACK;
            let w = ((word + 2.0 * TASK_PADDING) / 10.0).ceil() * 10.0;
            let w = w.clamp(TASK_W, TASK_MAX_W);
            let lines = text::wrap(&step.name, text::INNER_FONT, w - 2.0 * TASK_PADDING).len() as f64;
            let h = (lines * text::line_height(text::INNER_FONT) + 2.0 * TASK_PADDING).ceil();
            let h = h.max(TASK_MIN_H);
            (w, h + h % 2.0)
        }
    }
}

/// Documents drawn under a step: inputs, then outputs not already listed as inputs.
/// Only tasks get icons; events and gateways cannot carry data associations in BPMN.
pub fn step_documents(step: &Step) -> Vec<(String, bool)> {
    if step.kind != StepType::Task {
        return Vec::new();
    }
    let mut docs: Vec<(String, bool)> = Vec::new();
    for d in step.inputs.iter().filter(|d| !d.trim().is_empty()) {
        if !docs.iter().any(|(n, _)| n == d) {
            docs.push((d.clone(), true));
        }
    }
    for d in step.outputs.iter().filter(|d| !d.trim().is_empty()) {
        if !docs.iter().any(|(n, input)| n == d && !input) {
            docs.push((d.clone(), false));
        }
    }
    docs
}

/// A slot of the grid: (lane, track) is a row, layer the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Row {
    lane: usize,
    track: usize,
}

/// Where a vertical segment of an edge runs in a gap. Edges leaving one step share its
/// channel (they fork there), edges entering one step share its channel (they merge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Channel {
    Out(usize),
    In(usize),
}

/// How an edge is routed; decided from the grid alone, before any coordinate exists.
#[derive(Debug, Clone, Copy)]
enum Route {
    /// Along the common row of both ends.
    Straight,
    /// Out of the top or bottom corner of a gateway, down its column, into the target.
    Port,
    /// Along the source's row to a channel in the gap before the target.
    SourceRow(usize),
    /// To the channel of the target in the gap before it, shared by the edges that join
    /// there; for single edges out of their source into the next column.
    Merge(usize),
    /// To a channel in the gap after the source, then along the target's row.
    TargetRow(usize),
    /// Leaves and enters through gap channels or the bottom side, and runs along a corridor
    /// of `lane` in between; used for loops and for long edges whose rows are taken.
    Corridor { lane: usize, slot: usize, exit: Option<usize>, entry: Option<usize> },
}

struct Edge {
    from: usize,
    flow: usize,
    to: usize,
    back: bool,
}

struct Grid<'a> {
    process: &'a Process,
    edges: Vec<Edge>,
    layer: Vec<usize>,
    row: Vec<Row>,
    layers: usize,
    lane_count: usize,
    tracks: Vec<usize>,
    occupied: HashMap<(Row, usize), usize>,
    docs: Vec<Vec<(String, bool)>>,
    out_degree: Vec<usize>,
}

/// Lays a process out. Total: unknown roles go to the lane without role, flows to unknown
/// steps are not drawn (the exporter refuses such processes before it gets here).
pub fn layout(process: &Process) -> Layout {
    let grid = Grid::new(process);
    let routes = grid.routes();
    grid.geometry(&routes)
}

impl<'a> Grid<'a> {
    fn new(process: &'a Process) -> Grid<'a> {
        let n = process.steps.len();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, s) in process.steps.iter().enumerate() {
            index.entry(s.id.as_str()).or_insert(i);
        }
        let mut edges = Vec::new();
        for (i, s) in process.steps.iter().enumerate() {
            for (j, f) in s.next.iter().enumerate() {
                if let Some(&t) = index.get(f.to.as_str()) {
                    edges.push(Edge { from: i, flow: j, to: t, back: false });
                }
            }
        }
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (e, edge) in edges.iter().enumerate() {
            out[edge.from].push(e);
        }
        let (preorder, parent) = depth_first(process, &mut edges, &out);
        let layer = longest_path_layers(n, &edges, &preorder);
        let layers = layer.iter().max().map_or(0, |m| m + 1);

        let no_role_lane = process.roles.len();
        let lane: Vec<usize> = process.steps.iter().map(|s| lane_of(process, s).unwrap_or(no_role_lane)).collect();
        let lane_count = if lane.contains(&no_role_lane) { no_role_lane + 1 } else { no_role_lane };

        let mut row = vec![Row { lane: 0, track: 0 }; n];
        let mut occupied: HashMap<(Row, usize), usize> = HashMap::new();
        let mut tracks = vec![0; lane_count];
        for &v in &preorder {
            let wanted = parent[v].filter(|&p| lane[p] == lane[v]).map_or(0, |p| row[p].track);
            let mut track = wanted;
            while occupied.contains_key(&(Row { lane: lane[v], track }, layer[v])) {
                track += 1;
            }
            row[v] = Row { lane: lane[v], track };
            occupied.insert((row[v], layer[v]), v);
            tracks[lane[v]] = tracks[lane[v]].max(track + 1);
        }
        let docs = process.steps.iter().map(step_documents).collect();
        let out_degree = out.iter().map(Vec::len).collect();
        Grid { process, edges, layer, row, layers, lane_count, tracks, occupied, docs, out_degree }
    }

    fn shape(&self, v: usize) -> Shape {
        Shape::of(self.process.steps[v].kind)
    }

    fn free(&self, row: Row, layer: usize) -> bool {
        !self.occupied.contains_key(&(row, layer))
    }

    /// Rows strictly between `a` and `b` (in either order), top to bottom.
    fn rows_between(&self, a: Row, b: Row) -> Vec<Row> {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        self.all_rows().into_iter().filter(|r| *r > lo && *r < hi).collect()
    }

    fn all_rows(&self) -> Vec<Row> {
        (0..self.lane_count).flat_map(|lane| (0..self.tracks[lane]).map(move |track| Row { lane, track })).collect()
    }

    /// Rows below `row` down to the corridor at the bottom of `lane`.
    fn rows_below_to_corridor(&self, row: Row, lane: usize) -> Vec<Row> {
        self.all_rows().into_iter().filter(|r| *r > row && r.lane <= lane).collect()
    }

    fn row_free(&self, row: Row, layers: std::ops::Range<usize>) -> bool {
        layers.into_iter().all(|l| self.free(row, l))
    }

    fn column_free(&self, rows: &[Row], layer: usize) -> bool {
        rows.iter().all(|&r| self.free(r, layer))
    }

    /// A gateway may send an edge out of its top corner only when its name is not written there.
    fn has_top_label(&self, v: usize) -> bool {
        !self.process.steps[v].name.trim().is_empty()
    }

    fn routes(&self) -> Vec<Route> {
        let mut routes = Vec::with_capacity(self.edges.len());
        // Corridor slots per lane: the last layer span that used each slot.
        let mut corridor_use: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.lane_count];
        let mut pending = Vec::new();
        for (e, edge) in self.edges.iter().enumerate() {
            let (u, v) = (edge.from, edge.to);
            let (a, b) = (self.layer[u], self.layer[v]);
            let (ru, rv) = (self.row[u], self.row[v]);
            if !edge.back && b > a {
                let between = a + 1..b;
                if ru == rv && self.row_free(ru, between.clone()) {
                    routes.push(Route::Straight);
                    continue;
                }
                let mut column = self.rows_between(ru, rv);
                column.push(rv);
                let gateway_port = self.shape(u) == Shape::Gateway
                    && self.docs[u].is_empty()
                    && (rv > ru || !self.has_top_label(u))
                    && self.column_free(&column, a)
                    && self.row_free(rv, between.clone());
                if gateway_port {
                    routes.push(Route::Port);
                } else if b == a + 1 && self.out_degree[u] == 1 {
                    routes.push(Route::Merge(b));
                } else if b == a + 1 || self.row_free(rv, between.clone()) {
                    routes.push(Route::TargetRow(a + 1));
                } else if self.row_free(ru, between) {
                    routes.push(Route::SourceRow(b));
                } else {
                    routes.push(Route::Straight);
                    pending.push(e);
                }
            } else {
                routes.push(Route::Straight);
                pending.push(e);
            }
        }
        let mut spans: Vec<(usize, usize, usize)> = pending
            .iter()
            .map(|&e| {
                let (a, b) = (self.layer[self.edges[e].from], self.layer[self.edges[e].to]);
                (a.min(b), a.max(b), e)
            })
            .collect();
        spans.sort();
        for (lo, hi, e) in spans {
            let edge = &self.edges[e];
            let (u, v) = (edge.from, edge.to);
            let (a, b) = (self.layer[u], self.layer[v]);
            let lane = if edge.back { self.row[u].lane.max(self.row[v].lane) } else { self.row[v].lane };
            let slots = &mut corridor_use[lane];
            let slot = match slots.iter().position(|&(_, end)| end < lo) {
                Some(s) => {
                    slots[s] = (lo, hi);
                    s
                }
                None => {
                    slots.push((lo, hi));
                    slots.len() - 1
                }
            };
            let self_loop = u == v;
            let exit_down = !self_loop
                && lane >= self.row[u].lane
                && self.shape(u) == Shape::Gateway
                && self.docs[u].is_empty()
                && self.column_free(&self.rows_below_to_corridor(self.row[u], lane), a);
            let entry_up = !self_loop
                && edge.back
                && self.shape(v) != Shape::Event
                && self.docs[v].is_empty()
                && self.column_free(&self.rows_below_to_corridor(self.row[v], lane), b);
            routes[e] =
                Route::Corridor { lane, slot, exit: (!exit_down).then_some(a + 1), entry: (!entry_up).then_some(b) };
        }
        routes
    }

    fn geometry(&self, routes: &[Route]) -> Layout {
        let p = self.process;
        let n = p.steps.len();
        let sizes: Vec<(f64, f64)> = p.steps.iter().map(node_size).collect();
        let name_labels: Vec<Option<(f64, f64)>> = p
            .steps
            .iter()
            .map(|s| (Shape::of(s.kind) != Shape::Task && !s.name.trim().is_empty()).then(|| text::label_size(&s.name)))
            .collect();
        // Gateways write their name above themselves unless an edge leaves through the top.
        let mut label_below: Vec<bool> = p.steps.iter().map(|s| Shape::of(s.kind) == Shape::Event).collect();
        for (e, edge) in self.edges.iter().enumerate() {
            if matches!(routes[e], Route::Port) && self.row[edge.to] < self.row[edge.from] {
                label_below[edge.from] = true;
            }
        }

        // Columns.
        let mut colw = vec![MIN_COLUMN; self.layers];
        for v in 0..n {
            let docs_w = self.docs[v].len() as f64 * DOC_SPACING;
            colw[self.layer[v]] = colw[self.layer[v]].max(sizes[v].0).max(docs_w);
        }

        let channels = self.channels(routes);

        // Edge labels, sized now and placed once coordinates exist; their overhang into the
        // following gap widens that gap so that channels run to the right of the text.
        let mut edge_label: Vec<Option<(f64, f64)>> = vec![None; self.edges.len()];
        let mut overhang = vec![0.0_f64; self.layers + 1];
        for (e, edge) in self.edges.iter().enumerate() {
            let Some(cond) = p.steps[edge.from].next[edge.flow].condition.as_deref() else { continue };
            if cond.trim().is_empty() {
                continue;
            }
            let (lw, lh) = text::label_size(cond);
            edge_label[e] = Some((lw, lh));
            let a = self.layer[edge.from];
            let start =
                if self.first_segment_vertical(e, routes) { 6.0 } else { sizes[edge.from].0 / 2.0 + LABEL_DISTANCE };
            overhang[a + 1] = overhang[a + 1].max(start + lw - colw[a] / 2.0);
        }
        let gap_lead: Vec<f64> = overhang.iter().map(|o| (o + 8.0).max(GAP_PAD)).collect();
        let gapw: Vec<f64> = (0..=self.layers)
            .map(|g| {
                let k = channels[g].len() as f64;
                (gap_lead[g] + GAP_PAD + (k - 1.0).max(0.0) * CHANNEL).max(MIN_GAP).ceil()
            })
            .collect();
        let mut col_x = vec![0.0; self.layers];
        let mut gap_x = vec![0.0; self.layers + 1];
        let mut x = MARGIN + 2.0 * HEADER;
        for g in 0..=self.layers {
            gap_x[g] = x;
            x += gapw[g];
            if g < self.layers {
                col_x[g] = x;
                x += colw[g];
            }
        }
        let content_right = x;
        let channel_x = |gap: usize, c: Channel| -> f64 {
            let i = channels[gap].iter().position(|&k| k == c).unwrap_or(0) as f64;
            gap_x[gap] + gap_lead[gap] + i * CHANNEL
        };

        // Lanes and tracks.
        let mut above = vec![0.0_f64; self.lane_count];
        let mut below = vec![0.0_f64; self.lane_count];
        for v in 0..n {
            let lane = self.row[v].lane;
            let half = sizes[v].1 / 2.0;
            let label_h = name_labels[v].map_or(0.0, |(_, h)| h + LABEL_DISTANCE);
            let (mut up, mut down) = (half, half);
            if label_below[v] {
                down += label_h;
            } else {
                up += label_h;
            }
            if !self.docs[v].is_empty() {
                let doc_label = self.docs[v].iter().map(|(d, _)| text::label_size(d).1).fold(0.0, f64::max);
                down = down.max(half + DOC_GAP + DOC_H + LABEL_DISTANCE + doc_label);
            }
            above[lane] = above[lane].max(up);
            below[lane] = below[lane].max(down);
        }
        let track_h: Vec<f64> = (0..self.lane_count).map(|l| (above[l] + below[l] + 2.0 * TRACK_PAD).ceil()).collect();
        let mut corridor_slots = vec![0usize; self.lane_count];
        for r in routes {
            if let Route::Corridor { lane, slot, .. } = *r {
                corridor_slots[lane] = corridor_slots[lane].max(slot + 1);
            }
        }
        let corridor_h =
            |l: usize| if corridor_slots[l] == 0 { 0.0 } else { (corridor_slots[l] as f64 + 1.0) * CHANNEL };
        let lane_name = |l: usize| p.roles.get(l).map_or(super::NO_ROLE_LANE, |r| r.name.as_str());
        let mut lane_h: Vec<f64> = (0..self.lane_count)
            .map(|l| {
                let content = self.tracks[l] as f64 * track_h[l] + corridor_h(l);
                let name = name_extent(lane_name(l));
                content.max(MIN_LANE).max(name).ceil()
            })
            .collect();
        let pool_name = name_extent(&p.title);
        let total: f64 = lane_h.iter().sum();
        if let Some(last) = lane_h.last_mut()
            && pool_name > total
        {
            *last += (pool_name - total).ceil();
        }
        let mut lane_y = vec![0.0; self.lane_count];
        let mut track_top = vec![0.0; self.lane_count];
        let mut y = MARGIN;
        for l in 0..self.lane_count {
            lane_y[l] = y;
            let content = self.tracks[l] as f64 * track_h[l] + corridor_h(l);
            track_top[l] = y + ((lane_h[l] - content) / 2.0).floor();
            y += lane_h[l];
        }
        let pool_h = (y - MARGIN).max(MIN_LANE);
        let row_cy =
            |r: Row| (track_top[r.lane] + r.track as f64 * track_h[r.lane] + TRACK_PAD + above[r.lane]).round();
        let corridor_y = |lane: usize, slot: usize| {
            track_top[lane] + self.tracks[lane] as f64 * track_h[lane] + (slot as f64 + 1.0) * CHANNEL
        };

        // Shapes.
        let mut nodes = Vec::with_capacity(n);
        for v in 0..n {
            let (w, h) = sizes[v];
            let cx = (col_x[self.layer[v]] + colw[self.layer[v]] / 2.0).round();
            let cy = row_cy(self.row[v]);
            let bounds = Rect { x: cx - (w / 2.0).round(), y: cy - (h / 2.0).round(), w, h };
            let label = name_labels[v].map(|(lw, lh)| {
                let ly = if label_below[v] { bounds.bottom() + LABEL_DISTANCE } else { bounds.y - LABEL_DISTANCE - lh };
                Rect { x: (cx - lw / 2.0).round(), y: ly.round(), w: lw, h: lh }
            });
            nodes.push(NodeBox { bounds, label });
        }

        let mut docs = Vec::new();
        for (v, node) in nodes.iter().enumerate() {
            let count = self.docs[v].len() as f64;
            let node = node.bounds;
            for (i, (name, input)) in self.docs[v].iter().enumerate() {
                let icx = (node.cx() + (i as f64 - (count - 1.0) / 2.0) * DOC_SPACING).round();
                let bounds = Rect { x: icx - DOC_W / 2.0, y: node.bottom() + DOC_GAP, w: DOC_W, h: DOC_H };
                let (lw, lh) = text::label_size(name);
                let label = Rect { x: (icx - lw / 2.0).round(), y: bounds.bottom() + LABEL_DISTANCE, w: lw, h: lh };
                let reach = node.w / 2.0 - 10.0;
                let tx = icx.clamp(node.cx() - reach, node.cx() + reach);
                let mid = node.bottom() + DOC_GAP / 2.0;
                let mut points = if tx == icx {
                    vec![Point { x: icx, y: bounds.y }, Point { x: icx, y: node.bottom() }]
                } else {
                    vec![
                        Point { x: icx, y: bounds.y },
                        Point { x: icx, y: mid },
                        Point { x: tx, y: mid },
                        Point { x: tx, y: node.bottom() },
                    ]
                };
                if !input {
                    points.reverse();
                }
                docs.push(DocBox { step: v, document: name.clone(), input: *input, bounds, label, points });
            }
        }

        // Edges.
        let mut edges = Vec::with_capacity(self.edges.len());
        let mut right_labels: BTreeMap<usize, usize> = BTreeMap::new();
        for (e, edge) in self.edges.iter().enumerate() {
            let (u, v) = (nodes[edge.from].bounds, nodes[edge.to].bounds);
            let right = Point { x: u.right(), y: u.cy() };
            let left = Point { x: v.x, y: v.cy() };
            let pt = |x: f64, y: f64| Point { x, y };
            let points = match routes[e] {
                Route::Straight => vec![right, left],
                Route::Port => {
                    let start = if v.cy() > u.cy() { pt(u.cx(), u.bottom()) } else { pt(u.cx(), u.y) };
                    vec![start, pt(u.cx(), v.cy()), left]
                }
                Route::TargetRow(g) => {
                    let x = channel_x(g, Channel::Out(edge.from));
                    vec![right, pt(x, u.cy()), pt(x, v.cy()), left]
                }
                Route::SourceRow(g) | Route::Merge(g) => {
                    let x = channel_x(g, Channel::In(edge.to));
                    vec![right, pt(x, u.cy()), pt(x, v.cy()), left]
                }
                Route::Corridor { lane, slot, exit, entry } => {
                    let y = corridor_y(lane, slot);
                    let mut pts = match exit {
                        Some(g) => {
                            let x = channel_x(g, Channel::Out(edge.from));
                            vec![right, pt(x, u.cy()), pt(x, y)]
                        }
                        None => vec![pt(u.cx(), u.bottom()), pt(u.cx(), y)],
                    };
                    match entry {
                        Some(g) => {
                            let x = channel_x(g, Channel::In(edge.to));
                            pts.extend([pt(x, y), pt(x, v.cy()), left]);
                        }
                        None => pts.extend([pt(v.cx(), y), pt(v.cx(), v.bottom())]),
                    }
                    pts
                }
            };
            let label = edge_label[e].map(|(lw, lh)| {
                if self.first_segment_vertical(e, routes) {
                    let first = points[0];
                    let y = if points[1].y > first.y { first.y + 3.0 } else { first.y - 3.0 - lh };
                    Rect { x: first.x + 6.0, y: y.round(), w: lw, h: lh }
                } else {
                    // Labels of several edges leaving one side alternate above and below it.
                    let k = right_labels.entry(edge.from).or_insert(0);
                    let level = (*k / 2) as f64;
                    let y =
                        if k.is_multiple_of(2) { u.cy() - 3.0 - lh - level * lh } else { u.cy() + 3.0 + level * lh };
                    *k += 1;
                    Rect { x: u.right() + LABEL_DISTANCE, y: y.round(), w: lw, h: lh }
                }
            });
            edges.push(EdgePath { from: edge.from, flow: edge.flow, to: edge.to, points: simplify(points), label });
        }

        let pool = Rect { x: MARGIN, y: MARGIN, w: content_right - MARGIN, h: pool_h };
        let lanes = (0..self.lane_count)
            .map(|l| LaneBox {
                role: (l < p.roles.len()).then_some(l),
                bounds: Rect { x: MARGIN + HEADER, y: lane_y[l], w: pool.w - HEADER, h: lane_h[l] },
            })
            .collect();
        let width = pool.right() + MARGIN;
        let height = pool.bottom() + MARGIN;
        Layout { pool, lanes, nodes, docs, edges, width, height }
    }

    /// The channels of each gap, left to right. A horizontal segment that ends at a channel
    /// coming from the left must not meet one that starts at another channel and runs to the
    /// right on the same line, so channels of left-anchored segments come first where they
    /// share a line with right-anchored ones.
    fn channels(&self, routes: &[Route]) -> Vec<Vec<Channel>> {
        let mut segments: Vec<Vec<(Line, Channel, Anchor)>> = vec![Vec::new(); self.layers + 1];
        for (e, edge) in self.edges.iter().enumerate() {
            let (u, v) = (edge.from, edge.to);
            let (su, sv) = (Line::Track(self.row[u]), Line::Track(self.row[v]));
            match routes[e] {
                Route::TargetRow(g) => {
                    segments[g].push((su, Channel::Out(u), Anchor::Left));
                    segments[g].push((sv, Channel::Out(u), Anchor::Right));
                }
                Route::SourceRow(g) | Route::Merge(g) => {
                    segments[g].push((su, Channel::In(v), Anchor::Left));
                    segments[g].push((sv, Channel::In(v), Anchor::Right));
                }
                Route::Corridor { lane, slot, exit, entry } => {
                    let corridor = Line::Corridor(lane, slot);
                    let (exit_side, entry_side) =
                        if edge.back { (Anchor::Left, Anchor::Right) } else { (Anchor::Right, Anchor::Left) };
                    if let Some(g) = exit {
                        segments[g].push((su, Channel::Out(u), Anchor::Left));
                        segments[g].push((corridor, Channel::Out(u), exit_side));
                    }
                    if let Some(g) = entry {
                        segments[g].push((sv, Channel::In(v), Anchor::Right));
                        segments[g].push((corridor, Channel::In(v), entry_side));
                    }
                }
                Route::Straight | Route::Port => {}
            }
        }
        segments.into_iter().map(order_channels).collect()
    }

    fn first_segment_vertical(&self, e: usize, routes: &[Route]) -> bool {
        matches!(routes[e], Route::Port | Route::Corridor { exit: None, .. })
    }
}

/// The length a pool or lane needs so that its name, written upwards in a strip of 30
/// pixels (two lines), is not cut, and no word of it is broken.
fn name_extent(name: &str) -> f64 {
    let slack = text::LABEL_SLACK;
    let word = text::longest_word(name, text::INNER_FONT) * slack;
    let all = text::width(name, text::INNER_FONT) * slack / 2.0;
    word.max(all) + 2.0 * TRACK_PAD
}

/// A horizontal line on which segments of different edges may meet inside a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Track(Row),
    Corridor(usize, usize),
}

/// Which side of the gap a horizontal segment reaches from its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Left,
    Right,
}

/// Orders one gap's channels: first appearance, adjusted so that on every line a channel
/// with a segment to the left precedes a channel with a segment to the right. Conflicting
/// demands (two edges swapping lines) keep the first-appearance order.
fn order_channels(segments: Vec<(Line, Channel, Anchor)>) -> Vec<Channel> {
    let mut channels: Vec<Channel> = Vec::new();
    for (_, c, _) in &segments {
        if !channels.contains(c) {
            channels.push(*c);
        }
    }
    let k = channels.len();
    let pos = |c: &Channel| channels.iter().position(|x| x == c).unwrap_or(0);
    let mut before = vec![vec![false; k]; k];
    for (line, left, a) in &segments {
        for (other, right, b) in &segments {
            if a == &Anchor::Left && b == &Anchor::Right && line == other && left != right {
                before[pos(left)][pos(right)] = true;
            }
        }
    }
    let mut placed = vec![false; k];
    let mut order = Vec::with_capacity(k);
    while order.len() < k {
        let ready = (0..k).find(|&i| !placed[i] && (0..k).all(|j| placed[j] || j == i || !before[j][i]));
        let i = ready.unwrap_or_else(|| (0..k).find(|&i| !placed[i]).unwrap_or(0));
        placed[i] = true;
        order.push(channels[i]);
    }
    order
}

/// Drops repeated points and points in the middle of a straight run.
fn simplify(points: Vec<Point>) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    for p in points {
        if out.last() == Some(&p) {
            continue;
        }
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            if (a.x == b.x && b.x == p.x) || (a.y == b.y && b.y == p.y) {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

/// Iterative depth-first search from the start steps (then from any step not yet seen), in
/// step and flow order. Marks edges that close a cycle as back edges; returns the preorder
/// and each step's tree parent.
fn depth_first(process: &Process, edges: &mut [Edge], out: &[Vec<usize>]) -> (Vec<usize>, Vec<Option<usize>>) {
    let n = process.steps.len();
    let mut state = vec![0u8; n]; // 0 unseen, 1 on the stack, 2 done
    let mut parent = vec![None; n];
    let mut preorder = Vec::with_capacity(n);
    let roots = process
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StepType::Start)
        .map(|(i, _)| i)
        .chain(0..n)
        .collect::<Vec<_>>();
    for root in roots {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        preorder.push(root);
        let mut stack = vec![(root, 0usize)];
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&e) = out[v].get(*next) {
                *next += 1;
                let w = edges[e].to;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        parent[w] = Some(v);
                        preorder.push(w);
                        stack.push((w, 0));
                    }
                    1 => edges[e].back = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    (preorder, parent)
}

/// Layer of each step: the longest path to it over forward edges.
fn longest_path_layers(n: usize, edges: &[Edge], preorder: &[usize]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges.iter().filter(|e| !e.back) {
        indegree[e.to] += 1;
        out[e.from].push(e.to);
    }
    let mut rank = vec![0usize; n];
    for (r, &v) in preorder.iter().enumerate() {
        rank[v] = r;
    }
    // Kahn's algorithm, always taking the ready step that comes first in the preorder.
    let mut ready: std::collections::BTreeSet<(usize, usize)> =
        (0..n).filter(|&v| indegree[v] == 0).map(|v| (rank[v], v)).collect();
    let mut layer = vec![0usize; n];
    while let Some((_, v)) = ready.pop_first() {
        for &w in &out[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                ready.insert((rank[w], w));
            }
        }
    }
    layer
}
