// hello-cxx.cc - C++ with std::string and iostream, built with g++ (glibc).
// Exercises: DT_NEEDED libstdc++.so.6 (and libgcc_s.so.1): ordinary libraries that
// must be installed with apk (needs-package), on top of the glibc PT_INTERP.
#include <iostream>
#include <string>

int main(int argc, char **argv)
{
    std::string s = "hello from ";
    s += (argc > 0 ? argv[0] : "c++");
    std::cout << s << std::endl;
    return 0;
}
