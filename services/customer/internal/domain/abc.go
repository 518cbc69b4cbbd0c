package domain

// Thresholds are the cumulative value shares of the ABC rule.
type Thresholds struct {
	AShare float64 // default 0.80
	BShare float64 // default 0.95
}

// DefaultThresholds is the Pareto rule: the customers making up the top 80% of
// cumulative value are A, the next 15% B, the rest C.
var DefaultThresholds = Thresholds{AShare: 0.80, BShare: 0.95}

// Valid reports whether 0 < A < B < 1.
func (t Thresholds) Valid() bool {
	return t.AShare > 0 && t.AShare < t.BShare && t.BShare < 1
}

// Classify returns the class of a customer in a population ordered by value
// score, highest first, given the cumulative value of all customers ranked
// above it and the population's total value.
//
// A customer belongs to the class whose band its value starts in: if less than
// AShare of the total lies above it, it is A (so the customer that crosses the
// 80% line is still A); less than BShare, B; otherwise C. Customers with no value
// are C, and when the whole population has no value everyone is C.
func Classify(cumulativeBefore, score, total float64, t Thresholds) ValueClass {
	if total <= 0 || score <= 0 {
		return ClassC
	}
	share := cumulativeBefore / total
	switch {
	case share < t.AShare:
		return ClassA
	case share < t.BShare:
		return ClassB
	default:
		return ClassC
	}
}

// Trial is the outcome of classifying the population with candidate
// thresholds without storing anything: how many customers would be in each
// class and how many would change class, by move ("B→A").
type Trial struct {
	Thresholds Thresholds
	Total      float64
	Customers  int
	Counts     map[ValueClass]int
	Changes    int
	Moves      map[string]int
	cum        float64
}

// NewTrial starts a trial over a population whose scores add up to total.
func NewTrial(t Thresholds, total float64) *Trial {
	return &Trial{Thresholds: t, Total: total, Counts: map[ValueClass]int{ClassA: 0, ClassB: 0, ClassC: 0}, Moves: map[string]int{}}
}

// Add classifies the next customer in value order (highest first), whose
// class is current now ("" when never classified).
func (tr *Trial) Add(score float64, current ValueClass) {
	class := Classify(tr.cum, score, tr.Total, tr.Thresholds)
	tr.cum += score
	tr.Customers++
	tr.Counts[class]++
	if class != current {
		tr.Changes++
		from := string(current)
		if from == "" {
			from = "none"
		}
		tr.Moves[from+"→"+string(class)]++
	}
}
