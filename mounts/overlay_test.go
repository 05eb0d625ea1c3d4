package mounts

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// store is deep, as ~/.local/share/nook is, so that relative paths are
// much shorter than absolute ones.
const (
	store  = "/home/u/.local/share/nook"
	merged = store + "/containers/c1/merged"
)

func storeOverlay(lowers ...string) *Overlay {
	o := &Overlay{Upper: store + "/containers/c1/upper", Work: store + "/containers/c1/work"}
	for _, l := range lowers {
		o.Lower = append(o.Lower, store+"/layers/"+l)
	}
	return o
}

func fsmountCall(o *Overlay) string {
	return fmt.Sprintf("fsmount overlay lower=%s upper=%s work=%s on %s", strings.Join(o.Lower, ":"), o.Upper, o.Work, merged)
}

// The overlay takes the place of the cloned tree; a read-only root is the
// overlay made read-only, as a cloned one is.
func TestApplyOverlayRoot(t *testing.T) {
	ov := storeOverlay("top", "bottom")
	f := newFake(t, nil, map[string]string{"/src": "dir"})
	ops := []Op{{Kind: Bind, Src: "/src", Dst: "/data", Make: MakeLikeSrc}, {Kind: RootReadOnly, Dst: "/"}}
	root, err := Apply(f, merged, ov, ops)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"open /src",
		"mount none on / (MS_REC|MS_PRIVATE)",
		fsmountCall(ov),
		"open " + merged + " as root",
		"mkdir /data",
		"mount host:/src on /data (MS_BIND)",
		"read-only /",
	}
	if !slices.Equal(f.calls, want) {
		t.Errorf("calls\n\t%s\nwant\n\t%s", strings.Join(f.calls, "\n\t"), strings.Join(want, "\n\t"))
	}
	if root != f.rootFD {
		t.Errorf("Apply returned %d, want the overlay's root (%d)", root, f.rootFD)
	}
}

// What reaches the kernel after the root is made private, for overlays
// that fit fsconfig, need relative paths, or meet a kernel without
// "lowerdir+".
func TestApplyOverlayMount(t *testing.T) {
	long := strings.Repeat("x", 240) // fits relative to the store, not absolute
	many := make([]string, 50)       // 50 × 98 bytes: more than a page; relative 50 × 72 fit
	for i := range many {
		many[i] = fmt.Sprintf("%064x", i)
	}
	tooMany := make([]string, 400)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("%064x", i)
	}
	einval := func(o *Overlay) map[string]error { return map[string]error{fsmountCall(o): unix.EINVAL} }
	legacy := func(data string) string { return "mount overlay on " + merged + " (overlay, " + data + ")" }
	rel := func(o *Overlay) string {
		_, r := relative(*o)
		return mountData(r)
	}

	tests := []struct {
		name    string
		ov      *Overlay
		fail    func(*Overlay) map[string]error
		want    func(*Overlay) []string
		wantErr string
	}{
		{
			name: "fsconfig takes absolute paths",
			ov:   storeOverlay("a"),
			want: func(o *Overlay) []string { return []string{fsmountCall(o)} },
		},
		{
			name: "a path over fsconfig's 255 bytes is made relative to the store",
			ov:   storeOverlay(long, "a"),
			want: func(*Overlay) []string {
				return []string{"chdir " + store, "fsmount overlay lower=layers/" + long + ":layers/a upper=containers/c1/upper work=containers/c1/work on " + merged}
			},
		},
		{
			name: "no lowerdir+ (Linux < 6.8): mount(2)",
			ov:   storeOverlay("b", "a"),
			fail: einval,
			want: func(o *Overlay) []string {
				return []string{fsmountCall(o), legacy("lowerdir=" + store + "/layers/b:" + store + "/layers/a,upperdir=" + store + "/containers/c1/upper,workdir=" + store + "/containers/c1/work,userxattr")}
			},
		},
		{
			name: "mount(2) options over a page use relative paths",
			ov:   storeOverlay(many...),
			fail: einval,
			want: func(o *Overlay) []string { return []string{fsmountCall(o), "chdir " + store, legacy(rel(o))} },
		},
		{
			name:    "too many layers for mount(2) even relative",
			ov:      storeOverlay(tooMany...),
			fail:    einval,
			want:    func(o *Overlay) []string { return []string{fsmountCall(o)} },
			wantErr: "mount overlay rootfs: invalid argument; mount(2) fallback: options too long: 400 layers need ",
		},
		{
			name:    "a path too long even relative",
			ov:      storeOverlay(long + long),
			wantErr: "mount overlay rootfs: a layer path is longer than 255 bytes, even relative to " + store,
		},
		{
			name:    "EPERM gets a hint",
			ov:      storeOverlay("a"),
			fail:    func(o *Overlay) map[string]error { return map[string]error{fsmountCall(o): unix.EPERM} },
			want:    func(o *Overlay) []string { return []string{fsmountCall(o)} },
			wantErr: "mount overlay rootfs: operation not permitted (kernel overlayfs in a user namespace needs Linux 5.11+",
		},
		{
			name:    "':' would split a layer in two",
			ov:      storeOverlay("a:b"),
			wantErr: `overlay rootfs: "` + store + `/layers/a:b" contains ':', which overlay mount options cannot carry`,
		},
		{
			name:    "',' would end the option",
			ov:      &Overlay{Lower: []string{"/s/a"}, Upper: "/s/u,lowerdir=/etc", Work: "/s/w"},
			wantErr: `contains ','`,
		},
		{
			name:    "'\\' is overlay's escape",
			ov:      storeOverlay(`a\`),
			wantErr: `contains '\\'`,
		},
		{
			name:    "relative paths are refused",
			ov:      &Overlay{Lower: []string{"layers/a"}, Upper: "/s/u", Work: "/s/w"},
			wantErr: `overlay rootfs: "layers/a" is not an absolute path`,
		},
		{
			name:    "no layers",
			ov:      &Overlay{Upper: "/s/u", Work: "/s/w"},
			wantErr: "overlay rootfs: no lower directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil, nil)
			if tt.fail != nil {
				f.fail = tt.fail(tt.ov)
			}
			_, err := Apply(f, merged, tt.ov, nil)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			var want []string
			if tt.want != nil {
				want = tt.want(tt.ov)
			}
			got := f.calls[1:] // after "make mounts private"
			if tt.wantErr == "" {
				got = got[:len(got)-1] // before the root is opened
			}
			if !slices.Equal(got, want) {
				t.Errorf("calls\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
		})
	}
}

func TestApplyOverlayNeedsMountPoint(t *testing.T) {
	f := newFake(t, nil, nil)
	if _, err := Apply(f, "/", storeOverlay("a"), nil); err == nil {
		t.Fatal("overlay on / accepted")
	}
	if len(f.calls) != 0 {
		t.Errorf("calls %q, want none", f.calls)
	}
}

func TestRelative(t *testing.T) {
	base, rel := relative(Overlay{Lower: []string{"/s/layers/b", "/s/layers/a"}, Upper: "/s/c/1/upper", Work: "/s/c/1/work"})
	want := Overlay{Lower: []string{"layers/b", "layers/a"}, Upper: "c/1/upper", Work: "c/1/work"}
	if base != "/s" || !slices.Equal(rel.Lower, want.Lower) || rel.Upper != want.Upper || rel.Work != want.Work {
		t.Errorf("relative = %s, %+v; want /s, %+v", base, rel, want)
	}
	if base, _ := relative(Overlay{Lower: []string{"/a/x"}, Upper: "/b/u", Work: "/b/w"}); base != "/" {
		t.Errorf("base of unrelated paths = %s, want /", base)
	}
	if base, _ := relative(Overlay{Lower: []string{"/s/ab/x"}, Upper: "/s/a/u", Work: "/s/a/w"}); base != "/s" {
		t.Errorf("base = %s, want /s (a prefix of a name is not a parent)", base)
	}
}
