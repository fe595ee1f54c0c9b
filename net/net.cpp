// net/: placeholder translation unit so the library always has one source.
namespace cafelet::net {
int library_anchor = 0;
} // namespace cafelet::net
