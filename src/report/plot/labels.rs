//! Placing point labels without overlap, deterministically, with leader lines back to the
//! point when a label sits away from it. Pure pixel geometry (no drawing), tested on its own.
//!
//! What [`place`] returns never breaks these rules: a placed label lies inside the bounds,
//! overlaps no other placed label and no marker, no leader line crosses another label, and a
//! label without a leader is nearer to its own point than to any other point (so it cannot be
//! read as another point's). A label that cannot be placed under these rules is returned as
//! `None` (the caller numbers it instead, for example).
//!
//! Points closer than [`LINK`] pixels (transitively) form a cluster, the largest clusters
//! first. A cluster's labels go next to their points when all of them fit there (one of eight
//! positions just clear of the marker); otherwise they are stacked in a column beside the
//! cluster, in the order of their points from top to bottom, each with a leader line, at the
//! nearest place where the whole column fits. What still has no place is searched for label
//! by label on rings of positions further and further from the point. Among allowed
//! positions, nearer is better, then covering less of the soft obstacles (error bars) and
//! crossing fewer other leaders.

/// A pixel rectangle, `x0 <= x1`, `y0 <= y1`; two rectangles that only share an edge do not
/// overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rect {
    pub(super) x0: i32,
    pub(super) y0: i32,
    pub(super) x1: i32,
    pub(super) y1: i32,
}

impl Rect {
    /// The square of half-side `r` around `c`.
    pub(super) fn around(c: (i32, i32), r: i32) -> Rect {
        Rect {
            x0: c.0 - r,
            y0: c.1 - r,
            x1: c.0 + r,
            y1: c.1 + r,
        }
    }

    pub(super) fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    fn within(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }

    /// Distance from the rectangle to the point `p` (0 inside).
    fn distance(&self, p: (i32, i32)) -> f64 {
        let dx = (self.x0 - p.0).max(p.0 - self.x1).max(0);
        let dy = (self.y0 - p.1).max(p.1 - self.y1).max(0);
        f64::from(dx).hypot(f64::from(dy))
    }

    fn overlap_area(&self, o: &Rect) -> i64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0);
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0);
        i64::from(w) * i64::from(h)
    }

    /// Whether the segment a-b passes through the inside of the rectangle (Liang-Barsky).
    fn cut_by(&self, a: (i32, i32), b: (i32, i32)) -> bool {
        let (ax, ay) = (f64::from(a.0), f64::from(a.1));
        let (dx, dy) = (f64::from(b.0) - ax, f64::from(b.1) - ay);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        // Strictly inside: shrink by half a pixel so that touching an edge is not a cut.
        let (x0, x1) = (f64::from(self.x0) + 0.5, f64::from(self.x1) - 0.5);
        let (y0, y1) = (f64::from(self.y0) + 0.5, f64::from(self.y1) - 0.5);
        if x0 >= x1 || y0 >= y1 {
            return false;
        }
        for (p, q) in [(-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
                if t0 > t1 {
                    return false;
                }
            }
        }
        true
    }
}

/// A label to place: the point it names, its size in pixels (padding included), and the
/// half-size of the point's marker (a label next to the point keeps clear of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Request {
    pub(super) anchor: (i32, i32),
    pub(super) size: (i32, i32),
    pub(super) clearance: i32,
}

/// Where a label went, and the leader line from its point to it when it sits away from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Placed {
    pub(super) rect: Rect,
    pub(super) leader: Option<((i32, i32), (i32, i32))>,
}

/// Space between a marker and a label next to it; distance between rings further out.
const GAP: i32 = 3;
const STEP: i32 = 11;
/// Points closer than this (pixels) belong to one cluster.
const LINK: f64 = 60.0;
/// Directions tried on each ring.
const DIRECTIONS: usize = 16;
/// Cost of moving a label one ring further out, against covering `RING_COST` square pixels of
/// soft obstacles.
const RING_COST: i64 = 400;
/// Cost of a leader crossing another leader, and of one crossing another point's marker.
const CROSSING_COST: i64 = 600;
const MARKER_CROSSING_COST: i64 = 300;
/// Vertical space between the labels of a column.
const STACK_GAP: i32 = 2;

/// Where `a`'s label goes for the direction `t` (radians) at distance `d` from the edge of a
/// marker of half-size `c`: attached by its side or corner nearest to the point. Distances are
/// along the axes (a label right-above a point is `c + d` right of and above it).
fn attached(a: (i32, i32), s: (i32, i32), c: i32, d: f64, t: f64) -> (Rect, (i32, i32)) {
    let (ux, uy) = (t.cos(), -t.sin());
    let norm = ux.abs().max(uy.abs());
    let r = f64::from(c) + d;
    let p = (
        a.0 + (r * ux / norm).round() as i32,
        a.1 + (r * uy / norm).round() as i32,
    );
    let x0 = if ux > 0.38 {
        p.0
    } else if ux < -0.38 {
        p.0 - s.0
    } else {
        p.0 - s.0 / 2
    };
    let y0 = if uy > 0.38 {
        p.1
    } else if uy < -0.38 {
        p.1 - s.1
    } else {
        p.1 - s.1 / 2
    };
    let rect = Rect {
        x0,
        y0,
        x1: x0 + s.0,
        y1: y0 + s.1,
    };
    (rect, p)
}

/// Candidate positions on ring `k` for `r`'s label, in order of preference. The nearest ring
/// (`k = 0`) has the eight classic positions next to the marker, right-above first; further
/// rings have [`DIRECTIONS`] positions, nearer-horizontal first.
fn candidates(r: &Request, k: i32) -> Vec<(Rect, (i32, i32))> {
    let d = f64::from(GAP + k * STEP);
    let angles: Vec<f64> = if k == 0 {
        [45.0, -45.0, 135.0, -135.0, 0.0, 180.0, 90.0, -90.0_f64]
            .iter()
            .map(|deg| deg.to_radians())
            .collect()
    } else {
        (0..DIRECTIONS)
            .map(|i| {
                // 0, +22.5, -22.5, +45, ... so that nearer-horizontal positions come first.
                let step = i.div_ceil(2) as f64 * 360.0 / DIRECTIONS as f64;
                let sign = if i % 2 == 1 { 1.0 } else { -1.0 };
                (sign * step).to_radians()
            })
            .collect()
    };
    angles
        .into_iter()
        .map(|t| attached(r.anchor, r.size, r.clearance, d, t))
        .collect()
}

/// Whether segments a-b and c-d cross at a point inside both (shared end points do not count).
fn segments_cross(a: (i32, i32), b: (i32, i32), c: (i32, i32), d: (i32, i32)) -> bool {
    if a == c || a == d || b == c || b == d {
        return false;
    }
    let orient = |p: (i32, i32), q: (i32, i32), r: (i32, i32)| -> i64 {
        let v = i64::from(q.0 - p.0) * i64::from(r.1 - p.1)
            - i64::from(q.1 - p.1) * i64::from(r.0 - p.0);
        v.signum()
    };
    let (o1, o2) = (orient(a, b, c), orient(a, b, d));
    let (o3, o4) = (orient(c, d, a), orient(c, d, b));
    o1 * o2 < 0 && o3 * o4 < 0
}

/// The labels and leaders placed so far, and the fixed obstacles.
struct Board<'a> {
    /// Every point to be labelled.
    anchors: &'a [(i32, i32)],
    markers: &'a [Rect],
    soft: &'a [Rect],
    bounds: Rect,
    labels: Vec<Rect>,
    leaders: Vec<((i32, i32), (i32, i32))>,
}

impl Board<'_> {
    /// Whether a label of the point `anchor` at `rect` with `leader` breaks none of the rules
    /// (see the module).
    fn allows(
        &self,
        anchor: (i32, i32),
        rect: &Rect,
        leader: Option<((i32, i32), (i32, i32))>,
    ) -> bool {
        let own = rect.distance(anchor);
        // Nearer to its own point than to any other (a second point at the same place is
        // never farther).
        let unambiguous = || {
            let same = self.anchors.iter().filter(|&&a| a == anchor).count();
            same == 1
                && self
                    .anchors
                    .iter()
                    .all(|&a| a == anchor || rect.distance(a) > own)
        };
        rect.within(&self.bounds)
            && (leader.is_some() || unambiguous())
            && !self.labels.iter().any(|l| l.overlaps(rect))
            && !self.markers.iter().any(|m| m.overlaps(rect))
            && !self.leaders.iter().any(|&(a, b)| rect.cut_by(a, b))
            && !leader.is_some_and(|(a, b)| self.labels.iter().any(|l| l.cut_by(a, b)))
    }

    /// Soft cost of a label at `rect` with `leader`: soft obstacles covered, other leaders and
    /// other points' markers crossed.
    fn cost(&self, rect: &Rect, leader: Option<((i32, i32), (i32, i32))>) -> i64 {
        let covered: i64 = self.soft.iter().map(|s| s.overlap_area(rect)).sum();
        let Some((a, b)) = leader else {
            return covered;
        };
        let crossings = self
            .leaders
            .iter()
            .filter(|&&(c, d)| segments_cross(a, b, c, d))
            .count() as i64;
        let own = Rect::around(a, 0);
        let markers = self
            .markers
            .iter()
            .filter(|m| !own.within(m) && m.cut_by(a, b))
            .count() as i64;
        covered + crossings * CROSSING_COST + markers * MARKER_CROSSING_COST
    }

    fn add(&mut self, p: Placed) {
        self.labels.push(p.rect);
        if let Some(l) = p.leader {
            self.leaders.push(l);
        }
    }

    /// The best allowed position of `r`'s label on rings `0..rings`, if any.
    fn search(&self, r: &Request, rings: i32) -> Option<Placed> {
        let mut best: Option<(i64, Placed)> = None;
        for k in 0..rings {
            // A further ring costs at least RING_COST more: stop once that cannot win.
            if best.is_some_and(|(cost, _)| cost < i64::from(k) * RING_COST) {
                break;
            }
            for (rank, (rect, attach)) in candidates(r, k).into_iter().enumerate() {
                let leader = (k > 0).then_some((r.anchor, attach));
                if !self.allows(r.anchor, &rect, leader) {
                    continue;
                }
                let cost = i64::from(k) * RING_COST + rank as i64 + self.cost(&rect, leader);
                if best.is_none_or(|(c, _)| cost < c) {
                    best = Some((cost, Placed { rect, leader }));
                }
            }
        }
        best.map(|(_, p)| p)
    }

    /// The labels of `members` next to their points (nearest ring only), all or none.
    fn next_to(&self, requests: &[Request], members: &[usize]) -> Option<Vec<Placed>> {
        let mut trial = Board {
            labels: self.labels.clone(),
            leaders: self.leaders.clone(),
            ..*self
        };
        let mut out = Vec::with_capacity(members.len());
        for &i in members {
            let p = trial.search(&requests[i], 1)?;
            trial.add(p);
            out.push(p);
        }
        Some(out)
    }

    /// The labels of `members` stacked in a column right or left of their points, in the order
    /// of the points from top to bottom, each with a leader from its point to the column: the
    /// allowed column nearest to the points (horizontally, then vertically), if any. Returns
    /// the placements in the order of `members`.
    fn column(&self, requests: &[Request], members: &[usize]) -> Option<Vec<Placed>> {
        let mut order: Vec<usize> = members.to_vec();
        order.sort_by_key(|&i| (requests[i].anchor.1, requests[i].anchor.0, i));
        let heights: i32 = order.iter().map(|&i| requests[i].size.1 + STACK_GAP).sum();
        let height = heights - STACK_GAP;
        let left = order
            .iter()
            .map(|&i| requests[i].anchor.0 - requests[i].clearance)
            .min()?;
        let right = order
            .iter()
            .map(|&i| requests[i].anchor.0 + requests[i].clearance)
            .max()?;
        let mean_y = order.iter().map(|&i| requests[i].anchor.1).sum::<i32>() / order.len() as i32;
        let widest = order.iter().map(|&i| requests[i].size.0).max()?;
        let b = self.bounds;
        let top_centred = (mean_y - height / 2).clamp(b.y0, (b.y1 - height).max(b.y0));
        let mut best: Option<(i64, Vec<Placed>)> = None;
        let reach = b.x1 - b.x0;
        // The column's top for shift k: centred on the points, then alternately lower and
        // higher by STEP pixels.
        let tops = (0..2 * (b.y1 - b.y0) / STEP + 1).map(|k| {
            let shift = (k + 1) / 2 * STEP;
            let top = if k % 2 == 1 {
                top_centred + shift
            } else {
                top_centred - shift
            };
            (shift, top)
        });
        for off in (12..reach).step_by(STEP as usize) {
            // A further column costs more than any shift: stop once that cannot win.
            if best
                .as_ref()
                .is_some_and(|(c, _)| *c < i64::from(off) * 100)
            {
                break;
            }
            for side in [1, -1] {
                let x_edge = if side > 0 { right + off } else { left - off };
                for (shift, top) in tops.clone() {
                    if top < b.y0 || top + height > b.y1 {
                        continue;
                    }
                    let Some((cost, placed)) = self.stack(requests, &order, x_edge, side, top)
                    else {
                        continue;
                    };
                    let mut cost = cost + i64::from(off) * 100 + i64::from(shift) * 10;
                    if side < 0 {
                        // A left column is right-aligned on its edge: its text starts further.
                        cost += i64::from(widest) / 4;
                    }
                    if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                        let by_member = members
                            .iter()
                            .map(|m| placed.iter().find(|(i, _)| i == m).map(|(_, p)| *p))
                            .collect::<Option<Vec<Placed>>>()?;
                        best = Some((cost, by_member));
                    }
                    // Further shifts on this side and offset cost more.
                    break;
                }
            }
        }
        best.map(|(_, p)| p)
    }

    /// The labels of `order` stacked from `top` down, against the vertical edge at `x_edge`
    /// (`side` 1: left-aligned right of it; -1: right-aligned left of it), each with a leader
    /// from its point to the edge: the soft cost and the placements, if all are allowed.
    fn stack(
        &self,
        requests: &[Request],
        order: &[usize],
        x_edge: i32,
        side: i32,
        top: i32,
    ) -> Option<(i64, Vec<(usize, Placed)>)> {
        let mut trial = Board {
            labels: self.labels.clone(),
            leaders: self.leaders.clone(),
            ..*self
        };
        let mut y = top;
        let mut cost = 0;
        let mut placed = Vec::with_capacity(order.len());
        for &i in order {
            let (w, h) = requests[i].size;
            let x0 = if side > 0 { x_edge } else { x_edge - w };
            let rect = Rect {
                x0,
                y0: y,
                x1: x0 + w,
                y1: y + h,
            };
            let leader = Some((requests[i].anchor, (x_edge, y + h / 2)));
            if !trial.allows(requests[i].anchor, &rect, leader) {
                return None;
            }
            cost += trial.cost(&rect, leader);
            let p = Placed { rect, leader };
            trial.add(p);
            placed.push((i, p));
            y += h + STACK_GAP;
        }
        Some((cost, placed))
    }
}

/// Clusters of points closer than [`LINK`] (transitively), largest first, then by first index;
/// each in order of crowding (most neighbours within 120 x 60 pixels first, then by index).
fn clusters(requests: &[Request]) -> Vec<Vec<usize>> {
    let n = requests.len();
    let mut group: Vec<usize> = (0..n).collect();
    let close =
        |a: (i32, i32), b: (i32, i32)| f64::from(a.0 - b.0).hypot(f64::from(a.1 - b.1)) < LINK;
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..n {
            for j in 0..n {
                if group[j] < group[i] && close(requests[i].anchor, requests[j].anchor) {
                    group[i] = group[j];
                    changed = true;
                }
            }
        }
    }
    let near = |i: usize| {
        let a = requests[i].anchor;
        requests
            .iter()
            .filter(|r| (r.anchor.0 - a.0).abs() < 120 && (r.anchor.1 - a.1).abs() < 60)
            .count()
    };
    let mut out: Vec<Vec<usize>> = Vec::new();
    for root in 0..n {
        let mut members: Vec<usize> = (0..n).filter(|&i| group[i] == root).collect();
        if !members.is_empty() {
            members.sort_by_key(|&i| (std::cmp::Reverse(near(i)), i));
            out.push(members);
        }
    }
    out.sort_by_key(|c| (std::cmp::Reverse(c.len()), c.iter().min().copied()));
    out
}

/// Places the labels of `requests` inside `bounds`, never over a `markers` rectangle or another
/// label, covering as little as possible of `soft` (see the module's documentation). The
/// result is in the order of `requests`.
pub(super) fn place(
    requests: &[Request],
    markers: &[Rect],
    soft: &[Rect],
    bounds: Rect,
) -> Vec<Option<Placed>> {
    let anchors: Vec<(i32, i32)> = requests.iter().map(|r| r.anchor).collect();
    let mut board = Board {
        anchors: &anchors,
        markers,
        soft,
        bounds,
        labels: Vec::new(),
        leaders: Vec::new(),
    };
    let reach = (bounds.x1 - bounds.x0).max(bounds.y1 - bounds.y0);
    let rings = (reach / STEP).max(1);
    let mut out: Vec<Option<Placed>> = vec![None; requests.len()];
    for members in clusters(requests) {
        let members: Vec<usize> = members
            .into_iter()
            .filter(|&i| requests[i].size.0 > 0 && requests[i].size.1 > 0)
            .collect();
        let together = board.next_to(requests, &members).or_else(|| {
            (members.len() >= 2)
                .then(|| board.column(requests, &members))
                .flatten()
        });
        if let Some(placed) = together {
            for (&i, p) in members.iter().zip(placed) {
                board.add(p);
                out[i] = Some(p);
            }
            continue;
        }
        for i in members {
            if let Some(p) = board.search(&requests[i], rings) {
                board.add(p);
                out[i] = Some(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const BOUNDS: Rect = Rect {
        x0: 100,
        y0: 60,
        x1: 1170,
        y1: 680,
    };

    fn check(requests: &[Request], markers: &[Rect], placed: &[Option<Placed>]) {
        let rects: Vec<(usize, Placed)> = placed
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| (i, p)))
            .collect();
        for &(i, p) in &rects {
            assert!(p.rect.within(&BOUNDS), "label {i} leaves the plot: {p:?}");
            assert_eq!(
                (p.rect.x1 - p.rect.x0, p.rect.y1 - p.rect.y0),
                requests[i].size
            );
            for m in markers {
                assert!(!p.rect.overlaps(m), "label {i} covers a marker {m:?}");
            }
            for &(j, q) in &rects {
                if i != j {
                    assert!(!p.rect.overlaps(&q.rect), "labels {i} and {j} overlap");
                    if let Some((a, b)) = q.leader {
                        assert!(!p.rect.cut_by(a, b), "leader of {j} crosses label {i}");
                    }
                }
            }
            match p.leader {
                Some((a, _)) => assert_eq!(a, requests[i].anchor),
                None => {
                    let own = p.rect.distance(requests[i].anchor);
                    for (j, r) in requests.iter().enumerate() {
                        assert!(
                            j == i || p.rect.distance(r.anchor) > own,
                            "label {i} is as near to point {j} as to its own"
                        );
                    }
                }
            }
        }
    }

    fn random_case(rng: &mut ChaCha8Rng, n: usize, cluster: bool) -> (Vec<Request>, Vec<Rect>) {
        let requests: Vec<Request> = (0..n)
            .map(|_| {
                let anchor = if cluster {
                    (rng.random_range(150..330), rng.random_range(80..110))
                } else {
                    (rng.random_range(110..1160), rng.random_range(70..670))
                };
                let size = (rng.random_range(40..260), rng.random_range(16..24));
                Request {
                    anchor,
                    size,
                    clearance: 9,
                }
            })
            .collect();
        let markers = requests.iter().map(|r| Rect::around(r.anchor, 9)).collect();
        (requests, markers)
    }

    #[test]
    fn placed_labels_never_overlap_for_random_points() {
        let mut rng = ChaCha8Rng::seed_from_u64(20);
        for case in 0..200 {
            let n = 1 + case % 40;
            let (requests, markers) = random_case(&mut rng, n, case % 3 == 0);
            let placed = place(&requests, &markers, &[], BOUNDS);
            check(&requests, &markers, &placed);
        }
    }

    #[test]
    fn a_dense_corner_of_fifteen_points_is_labelled_in_full() {
        // Like the mitigation matrix's top-left corner: 15 labels on points a few pixels apart.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..20 {
            let (requests, markers) = random_case(&mut rng, 15, true);
            let placed = place(&requests, &markers, &[], BOUNDS);
            check(&requests, &markers, &placed);
            assert!(placed.iter().all(Option::is_some), "{placed:?}");
        }
    }

    #[test]
    fn coinciding_points_get_separate_labels() {
        let requests = vec![
            Request {
                anchor: (300, 300),
                size: (120, 20),
                clearance: 12,
            };
            4
        ];
        let markers = vec![Rect::around((300, 300), 12)];
        let placed = place(&requests, &markers, &[], BOUNDS);
        check(&requests, &markers, &placed);
        assert!(placed.iter().all(Option::is_some));
    }

    #[test]
    fn a_lone_point_is_labelled_next_to_it_without_a_leader() {
        let requests = [Request {
            anchor: (500, 300),
            size: (100, 20),
            clearance: 9,
        }];
        let markers = [Rect::around((500, 300), 9)];
        let placed = place(&requests, &markers, &[], BOUNDS);
        let p = placed[0].unwrap();
        assert!(p.leader.is_none());
        // Right and above the point.
        assert!(p.rect.x0 > 500 && p.rect.y1 < 300, "{p:?}");
    }

    #[test]
    fn soft_obstacles_are_avoided_when_a_near_position_is_free() {
        // An error bar right of and above the point: the label goes elsewhere on the first ring.
        let requests = [Request {
            anchor: (500, 300),
            size: (100, 20),
            clearance: 9,
        }];
        let bar = Rect {
            x0: 495,
            y0: 200,
            x1: 700,
            y1: 305,
        };
        let markers = [Rect::around((500, 300), 9)];
        let p = place(&requests, &markers, &[bar], BOUNDS)[0].unwrap();
        assert!(!p.rect.overlaps(&bar), "{p:?}");
        assert!(p.leader.is_none());
    }

    #[test]
    fn what_cannot_fit_is_left_unplaced() {
        let requests = [Request {
            anchor: (500, 300),
            size: (5000, 20),
            clearance: 9,
        }];
        assert_eq!(place(&requests, &[], &[], BOUNDS), vec![None]);
    }

    #[test]
    fn placement_is_deterministic() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (requests, markers) = random_case(&mut rng, 25, false);
        let a = place(&requests, &markers, &[], BOUNDS);
        let b = place(&requests, &markers, &[], BOUNDS);
        assert_eq!(a, b);
    }
}
